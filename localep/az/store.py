"""What `az ml online-endpoint/online-deployment create` (and the batch ones) declared, kept under $LOCALEP_HOME/az:
an endpoint's auth, traffic or default deployment and, per deployment, the YAML and --set it came from, so update,
show, list and invoke can rebuild it."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep.errors import LocalepError
from localep.fileio import atomic_write_json
from localep.jsonfile import read_json
from localep.paths import home
from localep.protocol import KEY_AUTH

SUCCEEDED = "Succeeded"
FAILED = "Failed"


@dataclass
class DeploymentRecord:
    name: str
    file: str
    overrides: List[str] = field(default_factory=list)
    provisioning_state: str = SUCCEEDED  # how the last create/update ended
    error: Optional[str] = None
    created_at: str = ""


@dataclass
class EndpointRecord:
    name: str
    local: bool = False  # created with --local: answers without a key, like az ml --local endpoints
    auth_mode: str = KEY_AUTH  # the endpoint's traffic split and keys are in its state (runtime.gateway_link)
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    file: Optional[str] = None
    created_at: str = ""
    deployments: Dict[str, DeploymentRecord] = field(default_factory=dict)


ONLINE = "online-endpoints"
BATCH = "batch-endpoints"


def _path(kind: str, name: str) -> Path:
    return home() / "az" / kind / f"{name}.json"


def _read(kind: str, name: str) -> Optional[Dict[str, Any]]:
    path = _path(kind, name)
    return read_json(path, LocalepError, f"the local record of {kind[:-1]} {name}") if path.is_file() else None


def _delete(kind: str, name: str) -> bool:
    path = _path(kind, name)
    if not path.exists():
        return False
    path.unlink()
    return True


def _names(kind: str) -> List[str]:
    folder = _path(kind, "x").parent
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def load_endpoint(name: str) -> Optional[EndpointRecord]:
    data = _read(ONLINE, name)
    if data is None:
        return None
    deployments = {key: DeploymentRecord(**value) for key, value in data.pop("deployments", {}).items()}
    for moved in ("traffic", "mirror_traffic"):  # kept in the endpoint's state since; older records still hold them
        data.pop(moved, None)
    return EndpointRecord(**data, deployments=deployments)


def save_endpoint(record: EndpointRecord) -> None:
    atomic_write_json(_path(ONLINE, record.name), asdict(record), private=True)


def delete_endpoint(name: str) -> bool:
    return _delete(ONLINE, name)


def recorded_endpoints() -> List[str]:
    return _names(ONLINE)


@dataclass
class BatchDeploymentRecord:
    name: str
    file: str
    overrides: List[str] = field(default_factory=list)
    created_at: str = ""


@dataclass
class BatchEndpointRecord:
    name: str
    default_deployment: Optional[str] = None
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    file: Optional[str] = None
    created_at: str = ""
    deployments: Dict[str, BatchDeploymentRecord] = field(default_factory=dict)


def load_batch_endpoint(name: str) -> Optional[BatchEndpointRecord]:
    data = _read(BATCH, name)
    if data is None:
        return None
    deployments = {key: BatchDeploymentRecord(**value) for key, value in data.pop("deployments", {}).items()}
    return BatchEndpointRecord(**data, deployments=deployments)


def save_batch_endpoint(record: BatchEndpointRecord) -> None:
    atomic_write_json(_path(BATCH, record.name), asdict(record), private=True)


def delete_batch_endpoint(name: str) -> bool:
    return _delete(BATCH, name)


def recorded_batch_endpoints() -> List[str]:
    return _names(BATCH)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
