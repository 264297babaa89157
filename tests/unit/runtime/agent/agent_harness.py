"""Helpers for the agent tests: the real agent as a subprocess with its stdout read live, and plain HTTP calls."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

AGENT = Path(__file__).resolve().parents[4] / "localep" / "runtime" / "agent" / "agent.py"
PREFORK_SERVER = Path(__file__).resolve().parent / "prefork_server.py"
# The image's Python runs the agent in the container; set this to check another interpreter (e.g. 3.8).
AGENT_PYTHON = os.environ.get("LOCALEP_TEST_AGENT_PYTHON", sys.executable)
SERVER_PIDS = re.compile(r"Booting worker with pid: (\d+)|Listening at: \S+ \((\d+)\)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Dict[str, str]
    body: bytes


def request(port: int, method: str = "GET", path: str = "/", body: Optional[bytes] = None,
            headers: Optional[Dict[str, str]] = None) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def save(app_dir: Path, source: str) -> None:
    (app_dir / "score.py").write_text(source)


def scored(port: int) -> str:
    """The body of a successful POST /score."""
    answer = request(port, "POST", "/score", b"{}")
    assert answer.status == 200, answer
    return json.loads(answer.body)


def process_exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


@dataclass
class AgentRun:
    process: subprocess.Popen
    port: int
    lines: List[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            with self.changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, line: str, after: int = 0, timeout: float = 15.0, prefix: bool = False) -> int:
        """Index of the first output line equal to `line` (or starting with it) at or after index `after`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for index in range(after, len(self.lines)):
                    text = self.lines[index]
                    if text == line or (prefix and text.startswith(line)):
                        return index
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no line {line!r} within {timeout} s; output:\n" + "\n".join(self.lines))
                self.changed.wait(remaining)

    def status_lines(self) -> List[str]:
        with self.changed:
            return [line for line in self.lines if line.startswith("localep-agent: ")]

    def server_pids(self) -> List[int]:
        with self.changed:
            matches = [SERVER_PIDS.search(line) for line in self.lines]
        return [int(match.group(1) or match.group(2)) for match in matches if match]

    def send(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 15.0) -> int:
        return self.process.wait(timeout)




def prefork_command(app_dir: Path, port: int, *options: str) -> List[str]:
    return [sys.executable, str(PREFORK_SERVER), str(app_dir), str(port), *options]


def launch_agent(server_command: Sequence[str], agent_options: Sequence[str], port: int) -> AgentRun:
    process = subprocess.Popen(
        [AGENT_PYTHON, str(AGENT), "--port", str(port), "--host", "127.0.0.1", *agent_options, "--", *server_command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    run = AgentRun(process=process, port=port)
    threading.Thread(target=run.read_output, daemon=True).start()
    return run


def clean_up(run: AgentRun) -> None:
    """Whatever the test did: no agent, server master or worker survives it."""
    if run.process.poll() is None:
        run.process.kill()
        run.process.wait()
    for pid in run.server_pids():
        if process_exists(pid):
            os.kill(pid, signal.SIGKILL)
