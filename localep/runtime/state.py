"""An endpoint's state file, typed: what must outlive containers (its port, its keys, its traffic split) and where
its gateway runs: the one store of an endpoint's keys and traffic (the gateway's config is made from it).

Only `runtime/gateway_link.py`, the one owner of an endpoint's state and its gateway's lifecycle, writes it; the
typed readers below answer everyone else. The file lives under $LOCALEP_HOME, 0600 (it holds the keys).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep.fileio import atomic_write_json
from localep.paths import home

STATE_FILE = "state.json"


@dataclass(frozen=True)
class GatewayRecord:
    pid: int  # the supervisor's
    port: int
    config: str
    log: str
    control: str  # the control socket
    container: Optional[str] = None  # the gateway's container (pid is then 0): it outlives every host process


@dataclass(frozen=True)
class EndpointState:
    port: Optional[int] = None
    keys: Dict[str, str] = field(default_factory=dict)
    gateway: Optional[GatewayRecord] = None
    # The split as last set (by `up`, `localep traffic` or az); a running gateway serves the part that names
    # deployments it runs.
    traffic: Dict[str, int] = field(default_factory=dict)
    mirror_traffic: Dict[str, int] = field(default_factory=dict)


def endpoint_dir(endpoint: str) -> Path:
    return home() / "endpoints" / endpoint


def recorded_endpoints() -> List[str]:
    root = home() / "endpoints"
    return sorted(folder.name for folder in root.iterdir() if folder.is_dir()) if root.is_dir() else []


def load_state(endpoint: str) -> EndpointState:
    """A missing or damaged file is an endpoint that has not run yet (keys and port are then made anew)."""
    try:
        data = json.loads((endpoint_dir(endpoint) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return EndpointState()
    if not isinstance(data, dict):
        return EndpointState()
    keys = data.get("keys")
    return EndpointState(
        port=_integer(data.get("port")),
        keys={str(k): str(v) for k, v in keys.items() if v} if isinstance(keys, dict) else {},
        gateway=_gateway_record(data.get("gateway")),
        traffic=_shares(data.get("traffic")),
        mirror_traffic=_shares(data.get("mirror_traffic")),
    )


def remembered_port(endpoint: str) -> Optional[int]:
    """The port the endpoint had last time, so it keeps it across restarts."""
    return load_state(endpoint).port


def recorded_gateways() -> Dict[str, GatewayRecord]:
    """Where each endpoint's gateway runs or last ran (it may have stopped since: see `running_gateway`)."""
    records = {name: load_state(name).gateway for name in recorded_endpoints()}
    return {name: record for name, record in records.items() if record is not None}


def save_state(endpoint: str, state: EndpointState) -> None:
    atomic_write_json(endpoint_dir(endpoint) / STATE_FILE, asdict(state), private=True)


def _integer(value: Any) -> Optional[int]:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _shares(value: Any) -> Dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(name): share for name, share in value.items() if isinstance(share, int) and not isinstance(share, bool)}


def _gateway_record(value: Any) -> Optional[GatewayRecord]:
    if not isinstance(value, dict):
        return None
    try:
        container = value.get("container")
        return GatewayRecord(pid=int(value["pid"]), port=int(value["port"]), config=str(value["config"]),
                             log=str(value["log"]), control=str(value["control"]),
                             container=str(container) if container else None)
    except (KeyError, TypeError, ValueError):
        return None
