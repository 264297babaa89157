"""Benchmark: replay throughput against the bundled example, and the time of a warm `localep smoke`.

Runs against the real Docker engine, a private copy of examples/numpy-regression (own endpoint name, own
LOCALEP_HOME) and the real inference server:
  * `localep up --detach` of the copy, then the same scoring request replayed `--requests` times through the
    replay library with concurrency 1 and 8 (after a short warm-up), checked against the expected answer;
  * `localep smoke` of the copy: one run to warm the image cache, then `--smoke-runs` timed runs.
Everything it starts is removed at the end, also on Ctrl-C.

    python bench/replay.py [--requests 500] [--smoke-runs 3]

Needs the example's base image on this machine:
    bash .ci/base-image mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from localep.progress import Reporter  # noqa: E402
from localep.replay import build_report, load_request_file  # noqa: E402
from localep.runtime.endpoints import endpoint_address  # noqa: E402
from localep.workflows.smoke import SendOptions, send  # noqa: E402

EXAMPLE = REPO / "examples" / "numpy-regression"
EXPECTED = [58.0, 41.75]
SMOKE_TARGET_S = 5.0


def localep(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "localep", *args], capture_output=True, cwd=str(REPO))
    if check and result.returncode != 0:
        raise SystemExit(f"localep {' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode()}")
    return result


def private_copy(root: Path, name: str) -> Path:
    """The example under its own endpoint name, with its sample request and expected answer as a folder."""
    project = root / "project"
    shutil.copytree(EXAMPLE, project)
    for yml in project.glob("*.yml"):
        text = yml.read_text().replace("name: numpy-regression\n", f"name: {name}\n")
        yml.write_text(text.replace("endpoint_name: numpy-regression\n", f"endpoint_name: {name}\n"))
    requests_dir = project / "requests"
    requests_dir.mkdir()
    shutil.copy(project / "sample-request.json", requests_dir / "sample.json")
    (requests_dir / "sample.expected.json").write_text(json.dumps(EXPECTED))
    return project


def replay_throughput(name: str, project: Path, count: int, concurrency: int) -> None:
    address = endpoint_address(name)
    case = load_request_file(project / "requests" / "sample.json")
    quiet = Reporter(quiet=True)
    send([case] * 20, address, SendOptions(concurrency=concurrency), quiet)  # warm connections and the server
    started = time.perf_counter()
    results = send([case] * count, address, SendOptions(concurrency=concurrency), quiet)
    elapsed = time.perf_counter() - started
    report = build_report(results)
    latency = report.latency
    print(f"replay concurrency {concurrency}: {count / elapsed:7.1f} req/s  "
          f"p50 {latency.p50:.2f} ms  p95 {latency.p95:.2f} ms  p99 {latency.p99:.2f} ms  "
          f"({report.passed}/{count} matched)")


def smoke_times(project: Path, runs: int) -> List[float]:
    arguments = ("smoke", str(project / "blue-deployment.yml"), "--requests", str(project / "requests"))
    localep(*arguments)  # builds or finds the cached image
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        localep(*arguments)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per concurrency level")
    parser.add_argument("--smoke-runs", type=int, default=3, help="timed warm smoke runs")
    arguments = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="localep-bench-"))
    os.environ["LOCALEP_HOME"] = str(root / "home")
    name = f"bench-{uuid.uuid4().hex[:8]}"
    project = private_copy(root, name)
    try:
        localep("up", str(project / "blue-deployment.yml"), "--detach")
        for concurrency in (1, 8):
            replay_throughput(name, project, arguments.requests, concurrency)
        localep("down", name)
        times = smoke_times(project, arguments.smoke_runs)
        verdict = "within" if max(times) < SMOKE_TARGET_S else "OVER"
        print(f"warm localep smoke: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs "
              f"({verdict} the {SMOKE_TARGET_S:.0f} s target)")
    finally:
        localep("down", name, check=False)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
