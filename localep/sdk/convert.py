"""azure-ai-ml entities -> the cloud's YAML documents, which localep's own loader then checks and types.

Read by attribute only (no azure-ai-ml import), so any object with the entities' attributes converts. Relative
paths resolve as the SDK's local mode resolves them: against the deployment's base path, which is the working
directory when the entity was built in Python and the YAML file's folder for `load_online_deployment`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import yaml

from localep.yamlspec.schema import is_reference

REQUEST_SETTINGS = ("request_timeout_ms", "max_concurrent_requests_per_instance", "max_queue_wait_ms")
PROBE_SETTINGS = ("initial_delay", "period", "timeout", "success_threshold", "failure_threshold")
SCALE_SETTINGS = ("min_instances", "max_instances", "polling_interval", "target_utilization_percentage")
SCALE_TYPES = {"default": "default", "targetutilization": "target_utilization", "target_utilization": "target_utilization"}
PLAIN_FIELDS = ("description", "instance_type", "instance_count", "app_insights_enabled", "model_mount_path",
                "egress_public_network_access")
MAP_FIELDS = ("tags", "properties", "environment_variables")


def base_dir(entity: Any) -> Path:
    """The folder the SDK resolves the entity's relative paths against."""
    return Path(getattr(entity, "_base_path", None) or os.getcwd()).resolve()


def _resolve(base: Path, value: Any) -> str:
    return os.path.normpath(base / os.path.expanduser(str(value)))


def _given(obj: Any, names: Tuple[str, ...]) -> Dict[str, Any]:
    return {name: getattr(obj, name) for name in names if getattr(obj, name, None) is not None}


def _registered(asset: Any) -> Optional[str]:
    """`azureml:name:version` for an asset fetched from a workspace (it has an id): the local registry's name."""
    if getattr(asset, "id", None) and getattr(asset, "name", None):
        return f"azureml:{asset.name}:{asset.version}" if getattr(asset, "version", None) else f"azureml:{asset.name}"
    return None


def model_field(model: Any, base: Path) -> Any:
    if model is None or isinstance(model, str):
        return model
    reference = _registered(model)
    if reference:
        return reference
    path = getattr(model, "path", None)
    if not path:
        return f"azureml:{model.name}:{model.version}" if getattr(model, "name", None) else None
    field = {"path": str(path) if is_reference(str(path)) else _resolve(base, path)}
    if not getattr(model, "_is_anonymous", False):
        field.update(_given(model, ("name", "version")))
        if "version" in field:
            field["version"] = str(field["version"])
    field["type"] = str(getattr(model, "type", None) or "custom_model").lower()
    return field


def code_field(configuration: Any, base: Path) -> Optional[Dict[str, Any]]:
    if configuration is None:
        return None
    code = configuration.code
    if not isinstance(code, (str, os.PathLike)):  # a Code asset: registered, or local with a path
        code = _registered(code) or code.path
    text = str(code)
    return {"code": text if is_reference(text) else _resolve(base, text), "scoring_script": configuration.scoring_script}


def environment_field(environment: Any, base: Path) -> Tuple[Any, Optional[Dict[str, Any]]]:
    """The environment field, and the conda file's content when the entity holds it (the SDK reads the file)."""
    if environment is None or isinstance(environment, str):
        return environment, None
    reference = _registered(environment)
    if reference:
        return reference, None
    field: Dict[str, Any] = _given(environment, ("image", "os_type"))
    conda = environment.conda_file
    if isinstance(conda, (str, os.PathLike)):
        field["conda_file"] = _resolve(base, conda)
    elif isinstance(conda, dict) and _same_conda(getattr(environment, "_conda_file_path", None), conda):
        field["conda_file"], conda = str(environment._conda_file_path), None
    build = getattr(environment, "build", None)
    if build is not None:
        field["build"] = {"path": _resolve(base, build.path), "dockerfile_path": build.dockerfile_path or "Dockerfile"}
    routes = getattr(environment, "inference_config", None)
    if routes:
        field["inference_config"] = {name: dict(_plain(route)) for name, route in dict(_plain(routes)).items()}
    return field, conda if isinstance(conda, dict) else None


def _same_conda(path: Any, content: Dict[str, Any]) -> bool:
    """The SDK read the conda file into the entity: when that file still says the same, it is used as is (same
    bytes, same image cache key, errors naming its lines)."""
    if not path or not Path(path).is_file():
        return False
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8")) == content
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False


def _plain(value: Any) -> Any:
    """Route objects and dicts alike as a mapping."""
    return value if isinstance(value, dict) else {k: v for k, v in vars(value).items() if not k.startswith("_")}


def settings_fields(entity: Any) -> Dict[str, Any]:
    """Request settings, probes, scale settings and (Kubernetes) resources, each only when given."""
    fields: Dict[str, Any] = {}
    for name, keys in (("request_settings", REQUEST_SETTINGS), ("liveness_probe", PROBE_SETTINGS),
                       ("readiness_probe", PROBE_SETTINGS)):
        value = getattr(entity, name, None)
        if value is not None and _given(value, keys):
            fields[name] = _given(value, keys)
    scale = getattr(entity, "scale_settings", None)
    if scale is not None and getattr(scale, "type", None):
        kind = SCALE_TYPES.get(str(scale.type).lower().replace(" ", ""), str(scale.type).lower())
        fields["scale_settings"] = {"type": kind, **_given(scale, SCALE_SETTINGS)}
    resources = getattr(entity, "resources", None)
    if resources is not None:
        fields["resources"] = {section: _resource_settings(getattr(resources, section))
                               for section in ("requests", "limits") if getattr(resources, section, None) is not None}
    return fields


def _resource_settings(settings: Any) -> Dict[str, str]:
    values = {key: str(value) for key, value in _given(settings, ("cpu", "memory")).items()}
    if getattr(settings, "gpu", None) is not None:
        values["nvidia.com/gpu"] = str(settings.gpu)
    return values


def data_collector_field(collector: Any) -> Optional[Dict[str, Any]]:
    """data_collector as its YAML says it. `enabled` becomes the schema's string as the SDK sends it to the cloud
    (`str(enabled).lower() == "true"`), so `enabled=True` in Python collects there and here alike."""
    if collector is None:
        return None
    field: Dict[str, Any] = {"collections": {
        name: _collection_field(collection) for name, collection in (collector.collections or {}).items()}}
    field.update(_given(collector, ("rolling_rate", "sampling_rate")))
    headers = getattr(getattr(collector, "request_logging", None), "capture_headers", None)
    if headers:
        field["request_logging"] = {"capture_headers": list(headers)}
    return field


def _collection_field(collection: Any) -> Dict[str, Any]:
    field: Dict[str, Any] = {"enabled": "True" if str(collection.enabled).lower() == "true" else "False"}
    data = getattr(collection, "data", None)
    if isinstance(data, str):  # a path or an asset id, as the SDK passes it on
        field["data"] = {"path": data} if data.startswith("azureml://") else {"name": data}
    elif data is not None:
        field["data"] = {key: str(value) for key, value in _given(data, ("name", "path", "version")).items()}
    field.update(_given(collection, ("client_id",)))
    return field


def deployment_document(entity: Any) -> Tuple[Dict[str, Any], Optional[Dict[str, Any]]]:
    """The deployment as its YAML file would say it (absolute paths), and inline conda content to write beside."""
    base = base_dir(entity)
    kind = "kubernetes" if str(getattr(entity, "type", "") or "").lower() == "kubernetes" else "managed"
    document: Dict[str, Any] = {"name": entity.name, "endpoint_name": entity.endpoint_name, "type": kind}
    environment, conda = environment_field(entity.environment, base)
    parts = {"model": model_field(entity.model, base), "code_configuration": code_field(entity.code_configuration, base),
             "environment": environment}
    document.update({key: value for key, value in parts.items() if value is not None})
    document.update(_given(entity, PLAIN_FIELDS))
    document.update({key: {k: str(v) for k, v in getattr(entity, key).items()}
                     for key in MAP_FIELDS if getattr(entity, key, None)})
    document.update(settings_fields(entity))
    collector = data_collector_field(getattr(entity, "data_collector", None))
    if collector is not None:
        document["data_collector"] = collector
    if kind == "kubernetes":
        document.pop("egress_public_network_access", None)
    return document, conda


def endpoint_document(entity: Any) -> Dict[str, Any]:
    """The endpoint as its YAML file would say it."""
    document: Dict[str, Any] = {"name": entity.name}
    document.update(_given(entity, ("auth_mode", "description")))
    for key in ("traffic", "mirror_traffic"):
        shares = getattr(entity, key, None)
        if shares:
            document[key] = {name: int(share) for name, share in shares.items()}
    if getattr(entity, "tags", None):
        document["tags"] = {k: str(v) for k, v in entity.tags.items()}
    return document
