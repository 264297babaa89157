"""From YAML files to the typed Project: classify, check shape, build dataclasses, check local files.

Two layers: `read_*` functions collect every problem of a file as Diagnostics (what `validate`
reports), and `load_*` functions raise the first one as a SpecError (what `up` and friends need).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from localep import registry
from localep.errors import Location, SpecError
from localep.protocol import ENDPOINT_AUTH_MODES, KEY_AUTH
from localep.yamlspec.datacollector import build_data_collector
from localep.yamlspec.diagnostics import ERROR, Diagnostic, errors_of, raise_first_error
from localep.yamlspec.model import (
    CUSTOM_MODEL,
    MODEL_TYPES,
    BuildContext,
    CodeConfiguration,
    Deployment,
    Endpoint,
    Environment,
    InferenceConfig,
    Model,
    Probe,
    Project,
    RequestSettings,
    ResourceLimits,
    Route,
    ScaleSettings,
)
from localep.yamlspec.nocode import NoCodeImages, complete_no_code, no_code_images
from localep.yamlspec.runnable import check_runnable_locally, local_file_diagnostics
from localep.yamlspec.schema import (
    KUBERNETES_DEPLOYMENT,
    MANAGED_DEPLOYMENT,
    ONLINE_ENDPOINT,
    canonical_choice,
    check_field,
    is_reference,
)
from localep.yamlspec.units import parse_cpu, parse_gpu, parse_memory
from localep.yamlspec.yamlio import Document, apply_overrides, read_document

DEPLOYMENT = "deployment"
ENDPOINT = "endpoint"
BATCH_DEPLOYMENT = "batch deployment"
BATCH_ENDPOINT = "batch endpoint"
CONDA_ENVIRONMENT = "conda environment"

YAML_SUFFIXES = (".yml", ".yaml")
# Top-level keys only a (legacy, flat) batch deployment has: they tell it from an online deployment.
BATCH_ONLY_KEYS = {"compute", "mini_batch_size", "max_concurrency_per_instance", "output_action", "output_file_name",
                   "retry_settings", "error_threshold", "logging_level"}
ENDPOINT_FILE_NAMES = ("endpoint.yml", "endpoint.yaml")


def classify(data: Dict[str, Any]) -> str:
    """What kind of Azure ML file a mapping is, from its content (file names are free-form)."""
    schema = str(data.get("$schema", "")).lower()
    kind = str(data.get("type", "")).lower()
    if (
        "batchdeployment" in schema
        or kind in ("model", "pipeline")
        or ("compute" in data and "mini_batch_size" in data)
        or ("endpoint_name" in data and data.keys() & BATCH_ONLY_KEYS)
    ):
        return BATCH_DEPLOYMENT
    if "endpoint_name" in data:
        return DEPLOYMENT
    if "batchendpoint" in schema or "defaults" in data:
        return BATCH_ENDPOINT
    if "dependencies" in data and not data.keys() & {"auth_mode", "traffic", "mirror_traffic", "compute"}:
        return CONDA_ENVIRONMENT
    return ENDPOINT


def looks_like_online_endpoint(document: Document) -> bool:
    """Whether a YAML file found in a folder is an endpoint rather than some other YAML (CI, compose).

    Endpoint files have few telling keys; a bare `name:` file counts only if it is named like one.
    """
    data = document.data
    schema = str(data.get("$schema", "")).lower()
    return (
        "onlineendpoint" in schema
        or bool(data.keys() & {"auth_mode", "traffic", "mirror_traffic"})
        or ("name" in data and "compute" in data)
        or ("name" in data and "endpoint" in document.file.stem.lower())
    )


def unsupported(kind: str, document: Document) -> SpecError:
    return SpecError(f"{kind}: not supported by this command", document.location())


def expand_paths(paths: Sequence[Path]) -> List[Path]:
    """Files as given; a folder stands for the YAML files directly inside it, in name order."""
    files: List[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(child for child in path.iterdir() if child.is_file() and child.suffix in YAML_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise SpecError("no such file or folder", Location(path))
    return files


def _base_dir(document: Document) -> Path:
    return Path(os.path.abspath(document.file)).parent


def _resolve(base: Path, value: str) -> Path:
    return Path(os.path.normpath(base / os.path.expanduser(value)))


def deployment_kind(data: Dict[str, Any]) -> str:
    return "kubernetes" if str(data.get("type", "")).lower() == "kubernetes" else "managed"


def read_deployment(
    document: Document, overrides: Sequence[str] = (), images: Optional[NoCodeImages] = None
) -> Tuple[Optional[Deployment], List[Diagnostic]]:
    """Every problem of one deployment file, and the Deployment once its shape is valid.

    The Deployment may come with errors (a missing file, say) so that `validate` can check on. MLflow and Triton
    models without code and environment come with the generated ones (`images` says on which images).
    """
    document, problems = apply_overrides(document, overrides)
    problems = list(document.problems) + problems
    schema = KUBERNETES_DEPLOYMENT if deployment_kind(document.data) == "kubernetes" else MANAGED_DEPLOYMENT
    problems += check_field(document, document.data, schema, "")
    if errors_of(problems):
        return None, problems
    deployment, build_problems = _build_deployment(document)
    problems += build_problems + local_file_diagnostics(document, deployment)
    deployment, no_code_problems = complete_no_code(deployment, images or no_code_images(os.environ))
    return deployment, problems + no_code_problems


def read_endpoint(document: Document) -> Tuple[Optional[Endpoint], List[Diagnostic]]:
    problems = list(document.problems) + check_field(document, document.data, ONLINE_ENDPOINT, "")
    if errors_of(problems):
        return None, problems
    data = document.data
    endpoint = Endpoint(
        name=data["name"],
        file=document.file,
        auth_mode=canonical_choice(data.get("auth_mode") or KEY_AUTH, ENDPOINT_AUTH_MODES) or KEY_AUTH,
        traffic=dict(data.get("traffic") or {}),
        mirror_traffic=dict(data.get("mirror_traffic") or {}),
        compute=data.get("compute"),
        description=data.get("description"),
        tags=_text_map(document, "tags"),
        lines=dict(document.lines),
    )
    return endpoint, problems


def load_deployment(path: Path, overrides: Sequence[str] = (), images: Optional[NoCodeImages] = None) -> Deployment:
    document = read_document(path)
    kind = classify(document.data)
    if kind in (BATCH_DEPLOYMENT, BATCH_ENDPOINT):
        raise unsupported(kind, document)
    if kind != DEPLOYMENT:
        raise SpecError("not a deployment file: it has no endpoint_name", document.location())
    deployment, problems = read_deployment(document, overrides, images)
    raise_first_error(problems)
    assert deployment is not None
    return deployment


def load_endpoint(path: Path) -> Endpoint:
    document = read_document(path)
    kind = classify(document.data)
    if kind in (BATCH_DEPLOYMENT, BATCH_ENDPOINT):
        raise unsupported(kind, document)
    if kind == DEPLOYMENT:
        raise SpecError("not an endpoint file: it has endpoint_name, so it is a deployment", document.location())
    endpoint, problems = read_endpoint(document)
    raise_first_error(problems)
    assert endpoint is not None
    return endpoint


def load_project(
    paths: Sequence[Path],
    endpoint_file: Optional[Path] = None,
    overrides: Sequence[str] = (),
    require_local: bool = True,
    images: Optional[NoCodeImages] = None,
) -> Project:
    """One endpoint and its deployments from files and folders given in any order.

    The endpoint is the endpoint file among `paths` or `endpoint_file`, else `endpoint.yml` beside
    the first deployment, else one made up from the deployments' endpoint_name. An endpoint file
    alone gives a Project without deployments (enough to name the endpoint). An endpoint file
    without `traffic` sends all traffic to the first deployment, as a synthesised one does.
    Overrides apply to every deployment file. In a folder, YAML that is neither a deployment nor
    looks like an endpoint (conda files, sample data) is ignored. With `require_local`, cloud-only
    references are errors.
    """
    deployments: List[Deployment] = []
    endpoint_paths: List[Path] = [endpoint_file] if endpoint_file else []
    for given in paths:
        from_folder = given.is_dir()
        for path in expand_paths([given]):
            _read_project_file(path, from_folder, overrides, images, deployments, endpoint_paths)
    _check_project_files(paths, deployments, endpoint_paths)
    raise_first_error(duplicate_name_diagnostics(deployments))
    endpoint_path = endpoint_paths[0] if endpoint_paths else endpoint_beside(deployments[0].file)
    if endpoint_path is None:
        endpoint = synthesise_endpoint(deployments)
    else:
        endpoint = _endpoint_for(load_endpoint(endpoint_path), deployments, found=not endpoint_paths)
    if require_local:
        for deployment in deployments:
            check_runnable_locally(deployment)
    return Project(endpoint=endpoint, deployments=deployments)


def _read_project_file(path: Path, from_folder: bool, overrides: Sequence[str], images: Optional[NoCodeImages],
                       deployments: List[Deployment], endpoint_paths: List[Path]) -> None:
    """Add a deployment file to `deployments`, an endpoint file to `endpoint_paths`; in a folder, other YAML is
    ignored, given by name it is an error."""
    document = read_document(path)
    kind = classify(document.data)
    if kind in (BATCH_DEPLOYMENT, BATCH_ENDPOINT):
        raise unsupported(kind, document)
    if kind == CONDA_ENVIRONMENT and not from_folder:
        raise SpecError(
            "this is a conda environment file: name it in a deployment's environment.conda_file",
            document.location(),
        )
    if kind == DEPLOYMENT:
        deployment, problems = read_deployment(document, overrides, images)
        raise_first_error(problems)
        assert deployment is not None
        deployments.append(deployment)
    elif kind == ENDPOINT and (looks_like_online_endpoint(document) or not from_folder):
        if not _same_file_listed(path, endpoint_paths):
            endpoint_paths.append(path)


def _check_project_files(paths: Sequence[Path], deployments: List[Deployment], endpoint_paths: List[Path]) -> None:
    if len(endpoint_paths) > 1:
        raise SpecError(
            "more than one endpoint file given: " + ", ".join(str(path) for path in endpoint_paths),
            Location(endpoint_paths[1]),
        )
    if not deployments and not endpoint_paths:
        raise SpecError(
            "no deployment or endpoint file given (a deployment YAML has endpoint_name)",
            Location(paths[0]) if paths else None,
        )


def _same_file_listed(path: Path, listed: Sequence[Path]) -> bool:
    return any(os.path.abspath(path) == os.path.abspath(other) for other in listed)


ENDPOINT_FOUND = "found beside the deployment"


def endpoint_beside(deployment_file: Path) -> Optional[Path]:
    folder = deployment_file.parent
    return next((folder / name for name in ENDPOINT_FILE_NAMES if (folder / name).is_file()), None)


def duplicate_name_diagnostics(deployments: Sequence[Deployment]) -> List[Diagnostic]:
    """Two deployments of one endpoint under one name: the second would replace the first."""
    problems: List[Diagnostic] = []
    first_by_name: Dict[Tuple[str, str], Deployment] = {}
    for deployment in deployments:
        earlier = first_by_name.setdefault((deployment.endpoint_name, deployment.name), deployment)
        if earlier is not deployment and not _same_file_listed(deployment.file, [earlier.file]):
            problems.append(Diagnostic(
                deployment.location("name"),
                ERROR,
                f"deployment name '{deployment.name}' is also used by {earlier.location('name')}",
            ))
    return problems


def endpoint_mismatch_diagnostics(endpoint: Endpoint, deployments: Sequence[Deployment], how: str) -> List[Diagnostic]:
    return [
        Diagnostic(
            deployment.location("endpoint_name"),
            ERROR,
            f"endpoint_name '{deployment.endpoint_name}' does not match the endpoint {how}: "
            f"name '{endpoint.name}' in {endpoint.location('name')}",
        )
        for deployment in deployments
        if deployment.endpoint_name != endpoint.name
    ]


def default_traffic(deployments: Sequence[Deployment]) -> Dict[str, int]:
    """All live traffic to the first deployment; the others answer only when pinned by header."""
    return {deployments[0].name: 100}


def synthesise_endpoint(deployments: Sequence[Deployment]) -> Endpoint:
    """The endpoint a user without an endpoint file means: key auth, the first deployment live."""
    name = deployments[0].endpoint_name
    for deployment in deployments[1:]:
        if deployment.endpoint_name != name:
            raise SpecError(
                f"endpoint_name '{deployment.endpoint_name}' differs from '{name}' in {deployments[0].location('endpoint_name')}; "
                "deployments run together must share one endpoint",
                deployment.location("endpoint_name"),
            )
    return Endpoint(name=name, file=None, auth_mode=KEY_AUTH, traffic=default_traffic(deployments))


def _endpoint_for(endpoint: Endpoint, deployments: Sequence[Deployment], found: bool) -> Endpoint:
    raise_first_error(endpoint_mismatch_diagnostics(endpoint, deployments, ENDPOINT_FOUND if found else "given"))
    if "traffic" not in endpoint.lines and deployments:
        return replace(endpoint, traffic=default_traffic(deployments))
    return endpoint


def _given(mapping: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The keys actually set: `key:` with nothing after it means "use the default", as in the cloud."""
    return {key: value for key, value in (mapping or {}).items() if value is not None}


def _text_map(document: Document, key: str) -> Dict[str, str]:
    values = document.data.get(key) or {}
    return {name: document.text(f"{key}.{name}", value) for name, value in values.items()}


def _build_deployment(document: Document) -> Tuple[Deployment, List[Diagnostic]]:
    """Typed Deployment from a shape-checked document, plus the problems only visible across fields."""
    data = document.data
    base = _base_dir(document)
    problems: List[Diagnostic] = []
    model = _build_model(document, base)
    environment, environment_problems = _build_environment(document, base)
    problems += environment_problems
    code_configuration = _build_code_configuration(document, base)
    requests, limits, resource_problems = _build_resources(document)
    problems += resource_problems
    problems += _completeness_problems(document, model, environment, code_configuration)
    present = _given(data)
    deployment = Deployment(
        name=data["name"],
        endpoint_name=data["endpoint_name"],
        file=document.file,
        kind=deployment_kind(data),
        model=model,
        code_configuration=code_configuration,
        environment=environment,
        environment_variables=_text_map(document, "environment_variables"),
        instance_type=present.get("instance_type"),
        instance_count=present.get("instance_count", 1),
        request_settings=RequestSettings(**_given(present.get("request_settings"))),
        liveness_probe=Probe(**_given(present.get("liveness_probe"))),
        readiness_probe=Probe(**_given(present.get("readiness_probe"))),
        resource_requests=requests,
        resource_limits=limits,
        scale_settings=ScaleSettings(**_given(present.get("scale_settings"))),
        model_mount_path=present.get("model_mount_path"),
        app_insights_enabled=present.get("app_insights_enabled", False),
        egress_public_network_access=canonical_choice(present.get("egress_public_network_access") or "enabled",
                                                      ("enabled", "disabled")) or "enabled",
        description=present.get("description"),
        tags=_text_map(document, "tags"),
        data_collector=build_data_collector(present.get("data_collector")),
        raw=data,
        lines=dict(document.lines),
    )
    return deployment, problems


def _build_model(document: Document, base: Path) -> Optional[Model]:
    value = document.data.get("model")
    source = document.location("model")
    if value is None:
        return None
    if isinstance(value, str):
        registered = registry.resolve(registry.MODELS, value)
        if registered is not None and registered.local_path is not None:
            return Model(name=registered.name, version=registered.version, path=registered.local_path,
                         type=registered.type, source=source, registered_as=value.strip())
        return Model(reference=value.strip(), source=source)
    version = value.get("version")
    return Model(
        name=value.get("name"),
        version=None if version is None else document.text("model.version", version),
        path=_resolve(base, value["path"]),
        type=canonical_choice(value.get("type") or CUSTOM_MODEL, MODEL_TYPES) or CUSTOM_MODEL,
        source=source,
    )


def _build_environment(document: Document, base: Path) -> Tuple[Optional[Environment], List[Diagnostic]]:
    value = document.data.get("environment")
    source = document.location("environment")
    if value is None:
        return None, []
    if isinstance(value, str):
        registered = registry.resolve(registry.ENVIRONMENTS, value)
        if registered is not None:
            return registered_environment(registered, source, value.strip()), []
        return Environment(reference=value.strip(), source=source), []
    problems: List[Diagnostic] = []
    if value.get("image") and value.get("build"):
        problems.append(document.diagnostic("environment.build", "environment: set image or build, not both"))
    elif not value.get("image") and not value.get("build"):
        problems.append(
            document.diagnostic(
                "environment",
                "environment: needs image (a base image, optionally with conda_file) or build (a folder with a Dockerfile)",
            )
        )
    build = value.get("build")
    version = value.get("version")
    environment = Environment(
        image=value.get("image"),
        conda_file=_resolve(base, value["conda_file"]) if value.get("conda_file") else None,
        build=BuildContext(_resolve(base, build["path"]), build.get("dockerfile_path") or "Dockerfile") if build else None,
        inference_config=_build_inference_config(document, value.get("inference_config"), problems),
        name=value.get("name"),
        version=None if version is None else document.text("environment.version", version),
        os_type=value.get("os_type") or "linux",
        source=source,
    )
    return environment, problems


def registered_environment(asset: registry.Asset, source: Location, reference: str) -> Environment:
    build = asset.build
    routes = asset.inference_config
    return Environment(
        image=asset.image,
        conda_file=Path(asset.conda_file) if asset.conda_file else None,
        build=BuildContext(Path(build["path"]), build.get("dockerfile_path") or "Dockerfile") if build else None,
        inference_config=InferenceConfig(**{name: Route(**route) for name, route in routes.items()}) if routes else None,
        name=asset.name,
        version=asset.version,
        os_type=asset.os_type or "linux",
        source=source,
        registered_as=reference,
    )


def _build_inference_config(
    document: Document, value: Optional[Dict[str, Any]], problems: List[Diagnostic]
) -> Optional[InferenceConfig]:
    if not value:
        return None
    names = ("liveness_route", "readiness_route", "scoring_route")
    missing = [name for name in names if not value.get(name)]
    if missing:
        problems.append(
            document.diagnostic(
                "environment.inference_config",
                f"environment.inference_config: missing {', '.join(missing)} (a custom container needs all three routes)",
            )
        )
        return None
    routes = {name: Route(port=value[name]["port"], path=value[name]["path"]) for name in names}
    return InferenceConfig(**routes)


def _build_code_configuration(document: Document, base: Path) -> Optional[CodeConfiguration]:
    value = document.data.get("code_configuration")
    if value is None:
        return None
    source = document.location("code_configuration")
    code = value["code"].strip()
    if is_reference(code):
        return CodeConfiguration(code=base, scoring_script=value["scoring_script"], source=source, reference=code)
    return CodeConfiguration(code=_resolve(base, code), scoring_script=value["scoring_script"], source=source)


def _build_resources(document: Document) -> Tuple[ResourceLimits, ResourceLimits, List[Diagnostic]]:
    resources = document.data.get("resources") or {}
    problems: List[Diagnostic] = []
    built = []
    for section in ("requests", "limits"):
        value = resources.get(section) or {}
        if value.get("gpu") is not None and value.get("nvidia.com/gpu") is not None:
            problems.append(
                document.diagnostic(
                    f"resources.{section}.gpu", f"resources.{section}: gpu and nvidia.com/gpu are the same; set one"
                )
            )
        gpu = value.get("nvidia.com/gpu", value.get("gpu"))
        built.append(
            ResourceLimits(
                cpu=None if value.get("cpu") is None else parse_cpu(value["cpu"]),
                memory=None if value.get("memory") is None else parse_memory(value["memory"]),
                gpu=None if gpu is None else parse_gpu(gpu),
            )
        )
    return built[0], built[1], problems


def _completeness_problems(
    document: Document,
    model: Optional[Model],
    environment: Optional[Environment],
    code_configuration: Optional[CodeConfiguration],
) -> List[Diagnostic]:
    """Only MLflow and Triton models can be served without a scoring script and environment."""
    if model is not None and (model.reference or model.type != CUSTOM_MODEL):
        return []
    custom_container = environment is not None and environment.inference_config is not None
    problems = []
    if code_configuration is None and not custom_container:
        problems.append(
            document.diagnostic(
                "",
                "missing code_configuration (code: folder, scoring_script: file); only mlflow_model and "
                "triton_model deployments can run without a scoring script",
            )
        )
    if environment is None:
        problems.append(
            document.diagnostic(
                "", "missing environment; only mlflow_model and triton_model deployments can run without one"
            )
        )
    return problems

