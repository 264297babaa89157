"""What a deployment collected, read back from $LOCALEP_HOME in the cloud's layout: for the e2e tests and the SDK
scripts (standard library only: the scripts run in the SDK's venv)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Dict, List


def collection_folder(localep_home: Path, endpoint: str, collection: str, deployment: str = "blue") -> Path:
    return (localep_home / "datastores" / "workspaceblobstore" / "paths" / "modelDataCollector" / endpoint / deployment
            / collection)


def events(folder: Path) -> List[Dict]:
    return [json.loads(line) for file in sorted(folder.rglob("*.jsonl")) for line in file.read_text().splitlines()]


def wait_for_events(folder: Path, count: int, timeout_s: float = 20.0) -> List[Dict]:
    """The folder's events once there are `count` (or whatever is there at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(events(folder)) < count:
        time.sleep(0.2)
    return events(folder)
