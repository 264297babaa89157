"""Benchmark: scoring throughput with all four data collections on (model_inputs, model_outputs, request,
response) against the same deployment with none (no data_collector).

Both endpoints run the data collection fixture (Microsoft's Collector pattern in score.py, the real
azureml-ai-monitoring, built by localep) side by side; rounds alternate between them so load from elsewhere on
the machine hits both alike. Each round sends `--requests` scoring requests from `--clients` threads.

Target (issue 18): throughput with collection on >= 90 % of throughput without.

    python bench/datacollect.py [--rounds 6] [--requests 300] [--clients 2]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, cli_env, localep

FIXTURE = REPO / "tests" / "fixtures" / "datacollect"
BODY = json.dumps({"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]})
TARGET_RATIO = 0.90


def project(name: str, collect: bool, collections: List[str]) -> Path:
    """A copy of the fixture as endpoint `name`, with its data_collector (only `collections` enabled) or without."""
    folder = Path(tempfile.mkdtemp(prefix="localep-bench-dc-")) / name
    shutil.copytree(FIXTURE, folder)
    for yml in folder.glob("*.yml"):
        text = yml.read_text().replace("name: datacollect\n", f"name: {name}\n")
        text = text.replace("endpoint_name: datacollect\n", f"endpoint_name: {name}\n")
        if not collect:
            text = re.sub(r"data_collector:\n(  .*\n)+", "", text)
        for off in {"model_inputs", "model_outputs", "request", "response"} - set(collections):
            text = text.replace(f"    {off}:\n      enabled: 'True'", f"    {off}:\n      enabled: 'False'")
        yml.write_text(text)
    return folder


def rate(url: str, key: str, count: int, clients: int) -> float:
    """Scoring requests per second (every answer must be a 200)."""
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:
        session.headers.update({"Authorization": f"Bearer {key}", "Content-Type": "application/json"})

    def worker(index: int) -> None:
        session = sessions[index]
        for _ in range(count // clients):
            answer = session.post(url, data=BODY, timeout=30)
            if answer.status_code != 200:
                raise SystemExit(f"{url} answered {answer.status_code}: {answer.text[:200]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return (count // clients * clients) / (time.perf_counter() - started)


def collected_lines(home: Path, name: str) -> Dict[str, int]:
    root = home / "datastores" / "workspaceblobstore" / "paths" / "modelDataCollector" / name / "blue"
    return {folder.name: sum(len(f.read_text().splitlines()) for f in folder.rglob("*.jsonl"))
            for folder in sorted(root.iterdir())} if root.is_dir() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--collections", default="model_inputs,model_outputs,request,response",
                        help="Which collections the 'on' deployment enables (comma-separated; default all four).")
    args = parser.parse_args()

    env = cli_env()
    suffix = str(int(time.time()))[-6:]
    names = {"on": f"bench-dc-on-{suffix}", "off": f"bench-dc-off-{suffix}"}
    endpoints = {}
    try:
        for mode, name in names.items():
            summary = json.loads(localep(["up", str(project(name, mode == "on", args.collections.split(","))), "--detach", "--json"], env).stdout)
            key = json.loads(localep(["keys", name, "--json"], env).stdout)["primary"]
            endpoints[mode] = (summary["scoring_uri"], key)
            rate(summary["scoring_uri"], key, 50, args.clients)  # warm-up
        rates: Dict[str, List[float]] = {"on": [], "off": []}
        for round_index in range(args.rounds):
            for mode in (("on", "off") if round_index % 2 == 0 else ("off", "on")):
                url, key = endpoints[mode]
                rates[mode].append(rate(url, key, args.requests, args.clients))
        time.sleep(2)
        lines = collected_lines(Path(env["LOCALEP_HOME"]), names["on"])
    finally:
        for name in names.values():
            localep(["down", name], env, check=False)
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    print(f"rounds: {args.rounds} x {args.requests} requests, {args.clients} client threads, alternating")
    print(f"{'':<28}{'median req/s':>14}{'min':>10}{'max':>10}")
    for label, mode in (("no collection", "off"), ("with collection", "on")):
        print(f"{label:<28}{statistics.median(rates[mode]):>14.1f}{min(rates[mode]):>10.1f}{max(rates[mode]):>10.1f}")
    print(f"lines collected (on): {lines}")
    ratio = on / off
    print(f"throughput ratio on/off: {ratio:.1%} (target >= {TARGET_RATIO:.0%}): {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
