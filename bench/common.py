"""Helpers the bench scripts share: a private copy of the bundled example and the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

import requests

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "numpy-regression"
SAMPLE = (EXAMPLE / "sample-request.json").read_bytes()


def private_example(name: str) -> Path:
    """A temporary copy of the example whose endpoint is called `name`."""
    folder = Path(tempfile.mkdtemp(prefix="localep-bench-")) / "example"
    shutil.copytree(EXAMPLE, folder)
    for yml in folder.glob("*.yml"):
        text = yml.read_text().replace("name: numpy-regression\n", f"name: {name}\n")
        yml.write_text(text.replace("endpoint_name: numpy-regression\n", f"endpoint_name: {name}\n"))
    return folder


def cli_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LOCALEP_HOME", tempfile.mkdtemp(prefix="localep-bench-home-"))
    return env


def localep(args: Sequence[str], env: Dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "localep", *args], capture_output=True, env=env)
    if check and result.returncode != 0:
        raise SystemExit(f"localep {' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode()}")
    return result


def first_score(url: str, headers: Dict[str, str], deadline_seconds: float = 60.0, body: bytes = SAMPLE) -> float:
    """Seconds until `url` answers a scoring request with 200 (polled every 10 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        try:
            if requests.post(url, data=body, headers=headers, timeout=2).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.01)
    raise SystemExit(f"{url} never answered 200")


def timed_up(deployment: Path, env: Dict[str, str], key: str, *extra: str, body: bytes = SAMPLE,
             deadline_seconds: float = 60.0) -> float:
    """From starting the CLI to the first 200 from /score (up returns only once the server answers)."""
    started = time.monotonic()
    result = localep(["up", str(deployment), "--detach", "--json", *extra], env)
    first_score(json.loads(result.stdout)["scoring_uri"],
                {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, deadline_seconds, body)
    return time.monotonic() - started


def summary(values: List[float]) -> str:
    return f"median {statistics.median(values):.3f}s  min {min(values):.3f}s  max {max(values):.3f}s  (n={len(values)})"
