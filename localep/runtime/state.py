"""Per-endpoint facts that must outlive containers (the endpoint's port, its keys), under $LOCALEP_HOME."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from localep.fileio import atomic_write_json
from localep.paths import home


def endpoint_dir(endpoint: str) -> Path:
    return home() / "endpoints" / endpoint


def recorded_endpoints() -> List[str]:
    root = home() / "endpoints"
    return sorted(folder.name for folder in root.iterdir() if folder.is_dir()) if root.is_dir() else []


def read_endpoint_state(endpoint: str) -> Dict[str, Any]:
    path = endpoint_dir(endpoint) / "state.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def update_endpoint_state(endpoint: str, **values: Any) -> Dict[str, Any]:
    """Merge `values` into the endpoint's state file, written atomically."""
    state = read_endpoint_state(endpoint)
    state.update(values)
    atomic_write_json(endpoint_dir(endpoint) / "state.json", state, private=True)
    return state
