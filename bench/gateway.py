"""Benchmark: what the endpoint gateway adds on top of calling a deployment container directly.

Runs, all on 127.0.0.1 and in one go:
  * an upstream shaped like the Azure ML inference server under gunicorn: pre-forked sync workers sharing one
    listening socket, one request at a time per worker, `Connection: close` on every answer, and a fixed
    amount of CPU work per request (`--work-ms`, default 1.5 ms like a tiny model on the real server);
  * the gateway as the real detached daemon (`start_gateway`), key auth on, one deployment at 100%;
  * a client that sends the same requests directly and through the gateway, serially and with 4 threads,
    through `http.client` connections reused where the server allows it (as `requests.Session` does).

Prints latency percentiles, added latency (gateway p50/p99 minus direct p50/p99) and the throughput ratio.

    python bench/gateway.py [--requests 2000] [--work-ms 1.5] [--workers 2] [--rounds 10]
    python bench/gateway.py --real      # against the bundled example's deployment in Docker
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from localep.gateway.client import ControlClient
from localep.gateway.config import DeploymentRoute, GatewayConfig, Keys, Liveness, new_key
from localep.gateway.process import start_gateway, stop_gateway
from localep.protocol import SCORING_PATH, UPSTREAM_SECRET_HEADER
from localep.runtime.ports import free_port

BODY = json.dumps({"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]}).encode()


def busy(ms: float) -> None:
    end = time.perf_counter() + ms / 1000.0
    while time.perf_counter() < end:
        pass


def serve_prefork_upstream(workers: int, work_ms: float) -> Tuple[int, List[int]]:
    """Start `workers` forked sync workers on one socket, like gunicorn; returns (port, worker pids)."""

    class Scoring(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self.answer(b"Healthy", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            busy(work_ms)
            self.answer(json.dumps({"result": len(body)}).encode(), "application/json")

        def answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Scoring)
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                server.serve_forever()
            finally:
                os._exit(0)
        pids.append(pid)
    port = server.server_address[1]
    server.socket.close()
    return port, pids


Target = Tuple[str, int]  # host, port


def run_load(target: Target, requests: int, concurrency: int, headers: Dict[str, str]) -> Tuple[List[float], float]:
    """Latencies (ms) of `requests` POST /score calls spread over `concurrency` threads, and the wall time (s)."""
    latencies: List[float] = []
    failures: List[str] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker() -> None:
        connection = http.client.HTTPConnection(*target, timeout=10)
        mine = []
        for _ in range(per_thread):
            start = time.perf_counter()
            connection.request("POST", SCORING_PATH, body=BODY, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                failures.append(str(response.status))
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed: {sorted(set(failures))}")
    return latencies, elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), to show what the gateway costs per request."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"upstream on port {port} did not start")


def measure(upstream: Target, gateway_port: int, key: str, gateway_pid: int, requests: int, rounds: int,
            direct_headers: Optional[Dict[str, str]] = None) -> None:
    """Direct and through-the-gateway runs interleaved, serially and with 4 clients; prints the comparison.
    `direct_headers`: what the container wants (the endpoint's upstream secret)."""
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    plain = {"Content-Type": "application/json", **(direct_headers or {})}
    gateway = ("127.0.0.1", gateway_port)
    run_load(upstream, 200, 1, plain)  # warm-up both paths
    run_load(gateway, 200, 1, auth)
    print(f"{requests} requests per run\n")
    print(f"{'run':<26}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'req/s':>9}")
    for concurrency in (1, 4):
        direct: List[float] = []
        through: List[float] = []
        direct_s = through_s = gateway_cpu_s = 0.0
        for _ in range(rounds):  # interleaved, so load from other processes hits both paths alike
            latencies, seconds = run_load(upstream, requests // rounds, concurrency, plain)
            direct.extend(latencies)
            direct_s += seconds
            cpu_before = cpu_seconds(gateway_pid)
            latencies, seconds = run_load(gateway, requests // rounds, concurrency, auth)
            gateway_cpu_s += cpu_seconds(gateway_pid) - cpu_before
            through.extend(latencies)
            through_s += seconds
        for label, values, seconds in (("direct", direct, direct_s), ("gateway", through, through_s)):
            print(
                f"{label + f' (concurrency {concurrency})':<26}{pct(values, 0.5):>9.3f}{pct(values, 0.99):>9.3f}"
                f"{statistics.mean(values):>9.3f}{len(values) / seconds:>9.0f}"
            )
        print(
            f"  added latency p50 {pct(through, 0.5) - pct(direct, 0.5):+.3f} ms, "
            f"p99 {pct(through, 0.99) - pct(direct, 0.99):+.3f} ms; "
            f"throughput gateway/direct {(len(through) / through_s) / (len(direct) / direct_s):.1%}; "
            f"gateway CPU {gateway_cpu_s * 1000 / len(through):.3f} ms per request\n"
        )


def simulated(args: argparse.Namespace) -> None:
    upstream_port, worker_pids = serve_prefork_upstream(args.workers, args.work_ms)
    workdir = Path(tempfile.mkdtemp(prefix="localep-bench-"))
    key = new_key()
    config = GatewayConfig(
        endpoint="bench",
        port=free_port(),
        auth_mode="key",
        keys=Keys(primary=key, secondary=new_key()),
        traffic={"blue": 100},
        deployments={
            "blue": DeploymentRoute(
                upstreams=[f"http://127.0.0.1:{upstream_port}"],
                max_concurrent_requests_per_instance=8,
                liveness=Liveness(initial_delay=3600, period=3600),
            )
        },
    )
    config = replace(config, control_socket=str(workdir / "control.sock"))
    pid = None
    try:
        wait_for_port(upstream_port)
        pid = start_gateway(config, workdir / "gateway.json", workdir / "gateway.log")
        serving_pid = ControlClient(workdir / "control.sock").state().pid
        print(f"upstream: {args.workers} pre-forked sync workers, {args.work_ms} ms CPU per request, Connection: close")
        measure(("127.0.0.1", upstream_port), config.port, key, serving_pid, args.requests, args.rounds)
    finally:
        if pid is not None:
            stop_gateway(pid)
        for worker in worker_pids:
            os.kill(worker, signal.SIGTERM)
            os.waitpid(worker, 0)


def real(args: argparse.Namespace) -> None:
    """The bundled example in Docker with the real inference server, its gateway started by `localep up`."""
    from common import cli_env, localep, private_example

    name = "bench-gateway"
    folder = private_example(name)
    deployment = folder / "blue-deployment.yml"
    # Room for the 4-client run: the cloud's limit is 2 x max_concurrent_requests_per_instance in flight.
    deployment.write_text(deployment.read_text().replace(
        "request_settings:\n", "request_settings:\n  max_concurrent_requests_per_instance: 4\n"))
    env = cli_env()
    summary = json.loads(localep(["up", str(deployment), "--detach", "--json"], env).stdout)
    try:
        key = json.loads(localep(["keys", name, "--json"], env).stdout)["primary"]
        state = json.loads((Path(env["LOCALEP_HOME"]) / "endpoints" / name / "state.json").read_text())
        gateway = ControlClient(state["gateway"]["control"]).state()
        upstream = urlsplit(gateway.deployments["blue"].instances[0].upstream)
        secret = (Path(env["LOCALEP_HOME"]) / "endpoints" / name / "upstream.secret").read_text().strip()
        print("upstream: the bundled example (real azureml-inference-server-http, gunicorn, 1 worker) in Docker, "
              "called directly on its own address with the endpoint's upstream secret")
        measure((str(upstream.hostname), int(upstream.port or 0)), summary["port"], key, gateway.pid,
                args.requests, args.rounds, {UPSTREAM_SECRET_HEADER: secret})
    finally:
        localep(["down", name], env)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--work-ms", type=float, default=1.5, help="CPU work per request in the upstream")
    parser.add_argument("--workers", type=int, default=2, help="upstream sync workers (gunicorn --workers)")
    parser.add_argument("--rounds", type=int, default=10, help="interleave direct/gateway runs in this many rounds")
    parser.add_argument("--real", action="store_true",
                        help="measure against the bundled example's real deployment in Docker instead")
    args = parser.parse_args(argv)
    (real if args.real else simulated)(args)


if __name__ == "__main__":
    main()
