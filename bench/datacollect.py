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

import docker
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, cli_env, localep
from localep.images.kinds.base import ENVIRONMENT_PYTHON
from localep.runtime import labels

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


# Run in the 'on' container with the scoring server's own python: azureml-ai-monitoring's sender posts N events, one
# at a time as its worker thread does, to localep's live receiver; the CPU each side spends per event is read from
# the kernel (the receiver runs in the agent's process).
SPLIT_PROBE = """
import json, os, sys, time
import pandas as pd
from azureml.ai.monitoring.config import init_config
from azureml.ai.monitoring.context import get_context
from azureml.ai.monitoring.payload import PandasFrameData
from azureml.ai.monitoring.payload.payload import build_payload
from azureml.ai.monitoring.worker.sender import MdcSender

def agent_pid():
    for entry in os.listdir("/proc"):
        args = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\\0") if entry.isdigit() else []
        if b"--collect" in args and not args[0].endswith(b"docker-init"):
            return entry
    raise SystemExit("no agent process with a receiver")

def agent_cpu():
    fields = open(f"/proc/{AGENT}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

AGENT = agent_pid()
init_config()
count = int(sys.argv[1])
frame = pd.DataFrame(json.loads(sys.argv[2])["data"])
sender = MdcSender("127.0.0.1", int(os.environ["AZUREML_MDC_PORT"]))
payloads = [build_payload("model_inputs", data=PandasFrameData(frame), context=get_context()) for _ in range(count)]
agent_before, own_before = agent_cpu(), time.process_time()
for payload in payloads:
    ok, message = sender.send(payload)
    assert ok, message
print(json.dumps({"sender_ms": (time.process_time() - own_before) / count * 1e3,
                  "receiver_ms": (agent_cpu() - agent_before) / count * 1e3}))
"""


SERVER_CPU = """
import os
total = 0
for entry in filter(str.isdigit, os.listdir("/proc")):
    if b"azureml_inference_server_http" in open(f"/proc/{entry}/cmdline", "rb").read():
        fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
print(total / os.sysconf("SC_CLK_TCK"))
"""


def deployment_container(endpoint: str):
    client = docker.from_env()
    return client.containers.list(filters={"label": [f"{labels.ENDPOINT}={endpoint}", f"{labels.AGENT}=true"]})[0]


def server_cpu_per_request(endpoint: str, url: str, key: str, count: int) -> float:
    """CPU the scoring server's processes spend per scoring request (ms), read from the kernel around `count`."""
    container = deployment_container(endpoint)

    def seconds() -> float:
        return float(container.exec_run([ENVIRONMENT_PYTHON, "-c", SERVER_CPU]).output.decode().strip())

    before = seconds()
    rate(url, key, count, 1)
    return (seconds() - before) / count * 1e3


def cost_split(endpoint: str, count: int) -> Dict[str, float]:
    """CPU per event: the package's sender (in the scoring process) and localep's receiver (in the agent)."""
    container = deployment_container(endpoint)
    result = container.exec_run([ENVIRONMENT_PYTHON, "-c", SPLIT_PROBE, str(count), BODY])
    if result.exit_code != 0:
        raise SystemExit(f"the split probe failed: {result.output.decode()[-2000:]}")
    return json.loads(result.output.decode().strip().splitlines()[-1])


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
    parser.add_argument("--split-events", type=int, default=500,
                        help="Events the package's sender posts to the receiver, to split the CPU per event.")
    args = parser.parse_args()

    env = cli_env()
    suffix = str(int(time.time()))[-6:]
    names = {"on": f"bench-dc-on-{suffix}", "off": f"bench-dc-off-{suffix}"}
    endpoints = {}
    try:
        for mode, name in names.items():
            folder = project(name, mode == "on", args.collections.split(","))
            summary = json.loads(localep(["up", str(folder), "--detach", "--json"], env).stdout)
            key = json.loads(localep(["keys", name, "--json"], env).stdout)["primary"]
            endpoints[mode] = (summary["scoring_uri"], key)
            rate(summary["scoring_uri"], key, 50, args.clients)  # warm-up
        rates: Dict[str, List[float]] = {"on": [], "off": []}
        for round_index in range(args.rounds):
            for mode in (("on", "off") if round_index % 2 == 0 else ("off", "on")):
                url, key = endpoints[mode]
                rates[mode].append(rate(url, key, args.requests, args.clients))
        split = cost_split(names["on"], args.split_events) if "model_inputs" in args.collections else None
        per_request = {mode: server_cpu_per_request(names[mode], *endpoints[mode], args.requests) for mode in names}
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
    print(f"scoring server CPU per request: {per_request['off']:.2f} ms without collection, "
          f"{per_request['on']:.2f} ms with it")
    if split is not None:
        print(f"CPU per collected event, {args.split_events} events through the live receiver: "
              f"azureml-ai-monitoring's sender (in the scoring process) {split['sender_ms']:.2f} ms, "
              f"localep's receiver (in the agent) {split['receiver_ms']:.2f} ms")
    ratio = on / off
    print(f"throughput ratio on/off: {ratio:.1%} (target >= {TARGET_RATIO:.0%}): {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
