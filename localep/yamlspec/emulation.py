"""Which fields of the cloud's YAML localep emulates, which it accepts without a local effect, and which are output.

Every field the schemas (schema.py, batch_schema.py) accept is classified here, by its dotted path; a path is
classified by its longest listed prefix, so `request_settings` covers `request_settings.request_timeout_ms`. The
free keys of a map (`data_collector.collections.<name>`) are written `*`.
`up` and `validate` name the unemulated fields a file sets, in one line per run, so a deployment never passes
locally on a field localep ignored without a word. A unit test walks the schemas and fails on a field in neither
table.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# The file kinds, named as yamlspec.loader.classify names them.
ONLINE_DEPLOYMENT = "deployment"
ONLINE_ENDPOINT = "endpoint"
BATCH_DEPLOYMENT = "batch deployment"
BATCH_ENDPOINT = "batch endpoint"

# What `az ml ... show -o yaml` prints besides the fields one writes: accepted so that output can be fed back, and
# ignored (said once).
READ_ONLY_FIELDS = ("id", "provisioning_state", "scoring_uri", "swagger_uri", "openapi_uri", "location", "kind",
                    "resourceGroup")

_METADATA = "kept as metadata (shown by `localep az ... show`); no effect in the cloud either"
_SHARED_ASSETS: Dict[str, str] = {
    "$schema": "ignored, as by the cloud",
    "name": "names the deployment and its containers",
    "endpoint_name": "the endpoint (gateway) the deployment joins",
    "description": _METADATA,
    "tags": _METADATA,
    "properties": _METADATA,
    "model": "mounted read-only where Azure ML mounts it; AZUREML_MODEL_DIR",
    "code_configuration": "mounted at /var/azureml-app/<folder>; AML_APP_ROOT, AZUREML_ENTRY_SCRIPT",
    "environment": "built into a cached image (conda or pip route, Docker context, BYOC routes)",
}

EMULATED: Dict[str, Dict[str, str]] = {
    ONLINE_DEPLOYMENT: {
        **_SHARED_ASSETS,
        "type": "managed or kubernetes: which fields apply",
        "environment_variables": "set in the container",
        "instance_type": "managed: the SKU's vCPUs and allocatable memory as Docker limits, GPU SKUs get GPUs",
        "instance_count": "that many containers behind the endpoint",
        "request_settings": "the endpoint's 408, 429 and queue wait; SCORING_TIMEOUT_MS",
        "liveness_probe": "probed by the endpoint; failures restart the instance",
        "readiness_probe": "`up`'s upper bound for readiness",
        "model_mount_path": "AZUREML_MODEL_DIR and the model's mount",
        "egress_public_network_access": "disabled: an internal Docker network and no default route in the container",
        "scale_settings": "target_utilization: instances between min and max from measured utilisation",
        "resources": "Kubernetes: see resources.limits and resources.requests",
        "resources.limits": "Kubernetes: Docker CPU, memory and GPU limits",
        "data_collector": "collected as JSON lines under $LOCALEP_HOME/datastores, in the cloud's layout",
    },
    ONLINE_ENDPOINT: {
        "$schema": "ignored, as by the cloud",
        "name": "names the endpoint",
        "auth_mode": "key and aml_token checked by the endpoint",
        "traffic": "the endpoint splits live traffic by weight",
        "mirror_traffic": "the endpoint copies a share to another deployment",
        "description": _METADATA,
        "tags": _METADATA,
        "properties": _METADATA,
    },
    BATCH_DEPLOYMENT: {
        **{key: value for key, value in _SHARED_ASSETS.items() if key != "endpoint_name"},
        "endpoint_name": "the batch endpoint the deployment belongs to",
        "type": "model deployments (settings: form)",
        "settings": "mini-batches, workers, retries, error threshold, output, logging, variables",
        "resources": "see resources.instance_count, instance_type and properties",
        "resources.instance_count": "that many containers",
        "resources.instance_type": "each container gets the SKU's CPU and memory, as online",
        **{key: "as under settings:" for key in ("max_concurrency_per_instance", "mini_batch_size", "output_action",
                                                 "output_file_name", "retry_settings", "error_threshold",
                                                 "logging_level", "environment_variables")},
    },
    BATCH_ENDPOINT: {
        "$schema": "ignored, as by the cloud",
        "name": "names the endpoint",
        "auth_mode": "aad_token: no local credential needed",
        "defaults": "the deployment `batch invoke` runs",
        "description": _METADATA,
        "tags": _METADATA,
        "properties": _METADATA,
    },
}

NOT_EMULATED: Dict[str, Dict[str, str]] = {
    ONLINE_DEPLOYMENT: {
        "app_insights_enabled": "no Application Insights locally; the server log is in `localep logs`",
        "private_network_connection": "no private endpoints locally",
        "resources.requests": "Kubernetes scheduling requests: no scheduler locally (limits apply)",
        "data_collector.collections.*.client_id": "no managed identity locally: files are written as you",
    },
    ONLINE_ENDPOINT: {
        "compute": "no Kubernetes cluster: containers run on this machine's Docker",
        "identity": "no managed identity locally: code uses the machine's credentials",
        "public_network_access": "the endpoint listens on 127.0.0.1 only, whatever this says",
    },
    BATCH_DEPLOYMENT: {
        "compute": "no compute cluster: containers run on this machine's Docker",
        "resources.properties": "no cluster to pass them to",
        "job_definition": "pipeline deployments do not run locally",
    },
    BATCH_ENDPOINT: {
        "identity": "no managed identity locally: code uses the machine's credentials",
    },
}


# Maps whose keys the user chooses: the segment after one of these is a key, listed in the tables as `*`.
MAP_FIELDS = ("data_collector.collections",)


def _with_map_keys_as_stars(path: str) -> str:
    for field in MAP_FIELDS:
        if path.startswith(field + "."):
            key, _, rest = path[len(field) + 1:].partition(".")
            return f"{field}.*" + (f".{rest}" if rest else "") if key else path
    return path


def _longest_prefix(path: str, table: Mapping[str, str]) -> Optional[str]:
    key = _with_map_keys_as_stars(path)
    while key:
        if key in table:
            return key
        key = key.rpartition(".")[0]
    return None


def classify(kind: str, path: str) -> Optional[str]:
    """"emulated", "not emulated" or "read-only" for a dotted field path of a file of `kind`; None if unlisted."""
    emulated = _longest_prefix(path, EMULATED[kind])
    ignored = _longest_prefix(path, NOT_EMULATED[kind])
    if emulated is None and ignored is None:
        return "read-only" if path.split(".")[0] in READ_ONLY_FIELDS else None
    if ignored is None or (emulated is not None and len(emulated) > len(ignored)):
        return "emulated"
    return "not emulated"


def unemulated_fields(kind: str, written: Iterable[str]) -> List[str]:
    """The listed unemulated fields among the dotted paths a file wrote (its `lines` keys), in file order."""
    found = (_longest_prefix(path, NOT_EMULATED[kind]) for path in written)
    return list(dict.fromkeys(field for field in found if field))


def read_only_fields(written: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(path for path in written if path in READ_ONLY_FIELDS))


def fields_noticed(kind: str, written: Iterable[str]) -> Tuple[List[str], List[str]]:
    """The unemulated and the read-only fields a file of `kind` (a loader kind) wrote; nothing for other files."""
    if kind not in EMULATED:
        return [], []
    paths = list(written)
    return unemulated_fields(kind, paths), read_only_fields(paths)


def files_notice(files: Iterable[Tuple[str, Iterable[str]]]) -> List[str]:
    """The notice lines for a run over several files: (loader kind, dotted paths written) each."""
    unemulated: List[str] = []
    read_only: List[str] = []
    for kind, written in files:
        fields, output = fields_noticed(kind, written)
        unemulated += fields
        read_only += output
    return notice(unemulated, read_only)


def notice(unemulated: Sequence[str], read_only: Sequence[str]) -> List[str]:
    """The lines `up` and `validate` print once per run (none when every field set is emulated)."""
    lines = []
    if unemulated:
        lines.append("not emulated locally: " + ", ".join(dict.fromkeys(unemulated)))
    if read_only:
        lines.append("read-only fields ignored (output of az ml ... show): " + ", ".join(dict.fromkeys(read_only)))
    return lines
