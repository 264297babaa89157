"""The shape of Azure ML batch deployment and batch endpoint YAML, in the same `Field` terms as online specs.

Two deployment forms: `type: model` with the batch knobs under `settings:`, and the legacy flat form (no
`type`) with the same knobs at the top level. Each form rejects the other's keys with a hint saying where they go.
"""

from __future__ import annotations

from typing import Dict

from localep.protocol import BATCH_AUTH_MODES
from localep.yamlspec.batch_model import LOGGING_LEVELS, OUTPUT_ACTIONS
from localep.yamlspec.schema import (
    _DEPLOYMENT_FIELDS,
    ANY,
    INSTANCE_TYPE,
    INTEGER,
    MAP,
    NAME_PATTERN,
    SCALAR,
    STRING,
    Field,
    _mapping,
    _mapping_of,
)

_STRING = Field(STRING)
_SCALAR_MAP = Field(MAP, values=Field(SCALAR))
_ANY = Field(ANY)

RETRY_SETTINGS = _mapping(
    max_retries=Field(INTEGER, minimum=0),
    timeout=Field(INTEGER, minimum=1),
)
_SETTINGS_FIELDS: Dict[str, Field] = {
    "max_concurrency_per_instance": Field(INTEGER, minimum=1),
    "mini_batch_size": Field(INTEGER, minimum=1),
    "output_action": Field(STRING, choices=OUTPUT_ACTIONS),
    "output_file_name": _STRING,
    "retry_settings": RETRY_SETTINGS,
    "error_threshold": Field(INTEGER, minimum=-1),
    "logging_level": Field(STRING, choices=LOGGING_LEVELS),
    "environment_variables": _SCALAR_MAP,
}
SETTINGS = _mapping_of({"instance_count": Field(INTEGER, minimum=1), **_SETTINGS_FIELDS})
RESOURCES = _mapping(instance_count=Field(INTEGER, minimum=1), instance_type=INSTANCE_TYPE, properties=_SCALAR_MAP)

# The keys batch deployments share with online ones are declared once, in the online schema.
_SHARED_WITH_ONLINE = ("$schema", "name", "endpoint_name", "description", "tags", "properties", "model",
                       "code_configuration", "environment")
_COMMON_FIELDS: Dict[str, Field] = {
    **{key: _DEPLOYMENT_FIELDS[key] for key in _SHARED_WITH_ONLINE},
    "compute": _STRING,
    "resources": RESOURCES,
}
_ONLINE_ONLY_HINTS = {
    "instance_count": "batch deployments set it as resources.instance_count",
    "instance_type": "batch deployments run on a compute cluster: set compute (and resources.instance_count)",
    "request_settings": "online deployments only; batch deployments take settings.retry_settings",
}

MODEL_BATCH_DEPLOYMENT = _mapping_of(
    {"type": Field(STRING, choices=("model",)), "settings": SETTINGS, "job_definition": _ANY, **_COMMON_FIELDS},
    hints={
        **_ONLINE_ONLY_HINTS,
        **{name: f"with type: model it belongs under settings: (settings.{name})" for name in _SETTINGS_FIELDS},
    },
)
FLAT_BATCH_DEPLOYMENT = _mapping_of(
    {**_SETTINGS_FIELDS, **_COMMON_FIELDS},
    hints={
        **_ONLINE_ONLY_HINTS,
        "settings": "only deployments with type: model take a settings: block; this legacy form (no type) "
        "sets mini_batch_size and the others at the top level",
    },
)

BATCH_ENDPOINT = _mapping_of(
    {
        "$schema": _ANY,
        "name": Field(STRING, required=True, pattern=NAME_PATTERN),
        "description": _STRING,
        "tags": _SCALAR_MAP,
        "properties": _SCALAR_MAP,
        "auth_mode": Field(STRING, choices=BATCH_AUTH_MODES),
        "defaults": _mapping(deployment_name=_STRING),
        "identity": _ANY,
        # read-only fields that `az ml batch-endpoint show` prints: accepted so its output can be fed back
        "scoring_uri": _ANY,
        "openapi_uri": _ANY,
        "provisioning_state": _ANY,
        "location": _ANY,
        "id": _ANY,
    },
    hints={
        "traffic": "batch endpoints have no traffic split: set defaults.deployment_name, or pass --deployment",
        "mirror_traffic": "batch endpoints have no traffic split",
    },
)
