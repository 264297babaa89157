"""The shape of Azure ML online endpoint and deployment YAML, declared once and checked generically.

Each `Field` says what a key may hold; `check_field` walks a document against it and reports
unknown keys (with a "did you mean" suggestion), wrong types, missing required keys and bad
values, each at the line where it was written. Fields with no local effect are still declared:
the cloud rejects unknown keys, so localep must know every key it accepts.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from localep.protocol import ENDPOINT_AUTH_MODES
from localep.yamlspec.datacollector import ROLLING_RATES, parse_datastore_path, parse_enabled
from localep.yamlspec.diagnostics import Diagnostic
from localep.yamlspec.emulation import READ_ONLY_FIELDS
from localep.yamlspec.model import MODEL_TYPES
from localep.yamlspec.skus import parse_instance_type
from localep.yamlspec.units import parse_cpu, parse_gpu, parse_memory
from localep.yamlspec.yamlio import Document, describe, join

STRING = "string"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
SCALAR = "scalar"  # string, number, boolean or date: stringified where used (tags, env vars)
TEXT = "text"  # string or number written as one (versions: `version: 1`)
MAPPING = "mapping"  # fixed keys, declared in `fields`
MAP = "map"  # free keys, every value per `values`
LIST = "list"
ANY = "any"

_EXPECTED = {
    STRING: "a string",
    INTEGER: "an integer",
    NUMBER: "a number",
    BOOLEAN: "true or false",
    SCALAR: "a string, number or boolean",
    TEXT: "a string or number",
    MAPPING: "a mapping",
    MAP: "a mapping",
    LIST: "a list",
}

NAME_PATTERN = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
AZUREML_PREFIX = "azureml:"


@dataclass(frozen=True)
class Field:
    kind: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    values: Optional[Field] = None
    required: bool = False
    reference: bool = False  # an `azureml:` string may stand in place of the mapping
    choices: Tuple[str, ...] = ()  # compared ignoring case and underscores, as the cloud does
    pattern: Optional[str] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    parse: Optional[Callable[[Any], Any]] = None  # raises ValueError with the message to show
    hints: Mapping[str, str] = field(default_factory=dict)  # keys that belong elsewhere: why


def normalise_choice(value: str) -> str:
    return value.replace("_", "").replace("-", "").lower()


def canonical_choice(value: str, choices: Tuple[str, ...]) -> Optional[str]:
    """The declared spelling of `value` ("AMLToken" -> "aml_token"), or None if it is not a choice."""
    wanted = normalise_choice(value)
    return next((choice for choice in choices if normalise_choice(choice) == wanted), None)


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(AZUREML_PREFIX)


def _has_kind(value: Any, kind: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return number
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == SCALAR:
        return isinstance(value, (str, bool, datetime.date)) or number
    if kind == TEXT:
        return isinstance(value, str) or number
    if kind in (MAPPING, MAP):
        return isinstance(value, dict)
    if kind == LIST:
        return isinstance(value, list)
    return True


def _label(path: str) -> str:
    return f"{path}: " if path else ""


def check_field(document: Document, value: Any, spec: Field, path: str) -> List[Diagnostic]:
    """Every problem with `value` (found at dotted `path` in `document`) against `spec`."""
    if value is None:
        return [document.diagnostic(path, f"{path}: required, but empty")] if spec.required else []
    if spec.reference and isinstance(value, str):
        if is_reference(value):
            return []
        return [
            document.diagnostic(
                path,
                f"{path}: expected a mapping (e.g. {path}: {{path: ...}}) or an azureml: reference, got {describe(value)}",
            )
        ]
    if not _has_kind(value, spec.kind):
        expected = _EXPECTED[spec.kind] + (" or an azureml: reference" if spec.reference else "")
        return [document.diagnostic(path, f"{_label(path)}expected {expected}, got {describe(value)}")]
    if spec.kind == MAPPING:
        return _check_mapping(document, value, spec, path)
    if spec.kind in (MAP, LIST) and spec.values is not None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        problems: List[Diagnostic] = []
        for key, item in items:
            problems += check_field(document, item, spec.values, join(path, str(key)))
        return problems
    return _check_value(document, value, spec, path)


def _check_mapping(document: Document, value: Dict[str, Any], spec: Field, path: str) -> List[Diagnostic]:
    problems: List[Diagnostic] = []
    for key, item in value.items():
        key_path = join(path, key)
        if key in spec.fields:
            problems += check_field(document, item, spec.fields[key], key_path)
        else:
            problems.append(document.diagnostic(key_path, unknown_field_message(key, path, spec)))
    for name, child in spec.fields.items():
        if child.required and name not in value:
            where = f"{path}: " if path else ""
            problems.append(document.diagnostic(path, f"{where}missing required field '{name}'"))
    return problems


def unknown_field_message(key: str, path: str, spec: Field) -> str:
    where = f" in {path}" if path else ""
    if key in spec.hints:
        return f"unknown field '{key}'{where}: {spec.hints[key]}"
    allowed = [name for name in spec.fields if not name.startswith("$")]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    containing = [name for name in allowed if len(key) >= 3 and key.lower() in name]
    if close or len(containing) == 1:
        return f"unknown field '{key}'{where}; did you mean '{(close or containing)[0]}'?"
    return f"unknown field '{key}'{where}; expected one of: {', '.join(allowed)}"


def _check_value(document: Document, value: Any, spec: Field, path: str) -> List[Diagnostic]:
    label = _label(path)
    if spec.choices and canonical_choice(str(value), spec.choices) is None:
        return [
            document.diagnostic(path, f"{label}expected one of {', '.join(spec.choices)}, got {describe(value)}")
        ]
    if spec.pattern and not re.match(spec.pattern, str(value)):
        return [
            document.diagnostic(
                path,
                f"{label}'{value}' is not a valid name: use letters, digits and '-', "
                "start with a letter and end with a letter or digit",
            )
        ]
    if spec.minimum is not None and value < spec.minimum:
        return [document.diagnostic(path, f"{label}must be at least {spec.minimum:g}, got {value}")]
    if spec.maximum is not None and value > spec.maximum:
        return [document.diagnostic(path, f"{label}must be at most {spec.maximum:g}, got {value}")]
    if spec.parse is not None:
        try:
            spec.parse(value)
        except ValueError as error:
            return [document.diagnostic(path, f"{label}{error}")]
    return []


def _mapping(required: bool = False, reference: bool = False, hints: Optional[Dict[str, str]] = None, **fields: Field) -> Field:
    return _mapping_of(fields, required=required, reference=reference, hints=hints)


def _mapping_of(fields: Dict[str, Field], required: bool = False, reference: bool = False,
                hints: Optional[Dict[str, str]] = None) -> Field:
    """For field names that are not Python identifiers (`$schema`, `nvidia.com/gpu`) or shared field sets."""
    return Field(MAPPING, fields=fields, required=required, reference=reference, hints=hints or {})


_STRING = Field(STRING)
_SCALAR_MAP = Field(MAP, values=Field(SCALAR))
_ANY = Field(ANY)

ROUTE = _mapping(
    port=Field(INTEGER, required=True, minimum=1, maximum=65535),
    path=Field(STRING, required=True),
)
INFERENCE_CONFIG = _mapping(liveness_route=ROUTE, readiness_route=ROUTE, scoring_route=ROUTE)
BUILD = _mapping(path=Field(STRING, required=True), dockerfile_path=_STRING)
ENVIRONMENT = _mapping(
    reference=True,
    image=_STRING,
    conda_file=_STRING,
    build=BUILD,
    inference_config=INFERENCE_CONFIG,
    name=_STRING,
    version=Field(TEXT),
    os_type=Field(STRING, choices=("linux", "windows")),
    description=_STRING,
    tags=_SCALAR_MAP,
)
MODEL = _mapping(
    reference=True,
    name=_STRING,
    version=Field(TEXT),
    path=Field(STRING, required=True),
    type=Field(STRING, choices=MODEL_TYPES),
    description=_STRING,
    tags=_SCALAR_MAP,
    properties=_SCALAR_MAP,
)
CODE_CONFIGURATION = _mapping(code=Field(STRING, required=True), scoring_script=Field(STRING, required=True))
REQUEST_SETTINGS = _mapping(
    request_timeout_ms=Field(INTEGER, minimum=1),
    max_concurrent_requests_per_instance=Field(INTEGER, minimum=1),
    max_queue_wait_ms=Field(INTEGER, minimum=0),
)
PROBE = _mapping(
    initial_delay=Field(INTEGER, minimum=0),
    period=Field(INTEGER, minimum=1),
    timeout=Field(INTEGER, minimum=1),
    success_threshold=Field(INTEGER, minimum=1),
    failure_threshold=Field(INTEGER, minimum=1),
)
SCALE_SETTINGS = _mapping(
    type=Field(STRING, required=True, choices=("default", "target_utilization")),
    min_instances=Field(INTEGER, minimum=0),
    max_instances=Field(INTEGER, minimum=1),
    polling_interval=Field(INTEGER, minimum=1),
    target_utilization_percentage=Field(INTEGER, minimum=1, maximum=100),
)
DATA_COLLECTOR = _mapping(
    collections=Field(
        MAP,
        values=_mapping(
            enabled=Field(SCALAR, parse=parse_enabled),
            data=_mapping(name=_STRING, path=Field(STRING, parse=parse_datastore_path), version=Field(TEXT)),
            client_id=_STRING,
        ),
    ),
    rolling_rate=Field(STRING, choices=ROLLING_RATES),
    sampling_rate=Field(NUMBER, minimum=0, maximum=1),
    request_logging=_mapping(capture_headers=Field(LIST, values=_STRING)),
)
RESOURCE_SETTINGS = _mapping_of({
    "cpu": Field(TEXT, parse=parse_cpu),
    "memory": Field(TEXT, parse=parse_memory),
    "gpu": Field(TEXT, parse=parse_gpu),
    "nvidia.com/gpu": Field(TEXT, parse=parse_gpu),
})
RESOURCES = _mapping(requests=RESOURCE_SETTINGS, limits=RESOURCE_SETTINGS)

_DEPLOYMENT_FIELDS: Dict[str, Field] = {
    "$schema": _ANY,
    "name": Field(STRING, required=True, pattern=NAME_PATTERN),
    "endpoint_name": Field(STRING, required=True, pattern=NAME_PATTERN),
    "type": Field(STRING, choices=("managed", "kubernetes")),
    "description": _STRING,
    "tags": _SCALAR_MAP,
    "properties": _SCALAR_MAP,
    "model": MODEL,
    "code_configuration": CODE_CONFIGURATION,
    "environment": ENVIRONMENT,
    "environment_variables": _SCALAR_MAP,
    "instance_type": _STRING,
    "instance_count": Field(INTEGER, minimum=1),
    "request_settings": REQUEST_SETTINGS,
    "liveness_probe": PROBE,
    "readiness_probe": PROBE,
    "scale_settings": SCALE_SETTINGS,
    "app_insights_enabled": Field(BOOLEAN),
    "data_collector": DATA_COLLECTOR,
    "model_mount_path": _STRING,
}

# What `az ml online-... show -o yaml` prints besides the written fields: accepted (and ignored) so it can be fed back.
_READ_ONLY: Dict[str, Field] = {name: _ANY for name in READ_ONLY_FIELDS}

# Managed deployments name a VM size from Microsoft's list; Kubernetes ones name an instance type of their cluster.
INSTANCE_TYPE = Field(STRING, parse=parse_instance_type)
MANAGED_DEPLOYMENT = _mapping_of(
    {
        "egress_public_network_access": Field(STRING, choices=("enabled", "disabled")),
        "private_network_connection": Field(BOOLEAN),
        **_DEPLOYMENT_FIELDS,
        "instance_type": INSTANCE_TYPE,
        **_READ_ONLY,
    },
    hints={"resources": "only Kubernetes deployments (type: kubernetes) take resources; managed ones use instance_type"},
)
KUBERNETES_DEPLOYMENT = _mapping_of(
    {"resources": RESOURCES, **_DEPLOYMENT_FIELDS, **_READ_ONLY},
    hints={
        "egress_public_network_access": "only managed deployments take it",
        "private_network_connection": "only managed deployments take it",
    },
)

_TRAFFIC = Field(MAP, values=Field(INTEGER, minimum=0, maximum=100))
ONLINE_ENDPOINT = _mapping_of(
    {
        "$schema": _ANY,
        "name": Field(STRING, required=True, pattern=NAME_PATTERN),
        "auth_mode": Field(STRING, choices=ENDPOINT_AUTH_MODES),
        "traffic": _TRAFFIC,
        "mirror_traffic": _TRAFFIC,
        "compute": _STRING,
        "description": _STRING,
        "tags": _SCALAR_MAP,
        "properties": _SCALAR_MAP,
        "identity": _ANY,
        "public_network_access": Field(STRING, choices=("enabled", "disabled")),
        **_READ_ONLY,
    }
)
