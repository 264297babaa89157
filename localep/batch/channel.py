"""The host's side of the in-container batch driver's protocol (documented in worker/batch_worker.py).

Typed messages in, JSON lines out. Connections are non-blocking once the worker said hello, so one runner
thread can wait on every worker at once with `selectors`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from localep.errors import LocalepError

WORKER_SCRIPT_ON_HOST = Path(__file__).resolve().parent / "worker" / "batch_worker.py"
WORKER_SCRIPT_IN_CONTAINER = "/opt/localep/batch_worker.py"
SUPERVISOR_PORT = 5002
TOKEN_VARIABLE = "LOCALEP_BATCH_TOKEN"


@dataclass(frozen=True)
class Ready:
    pass


@dataclass(frozen=True)
class InitFailed:
    error: str


@dataclass(frozen=True)
class Done:
    task: int
    count: int
    rows: str
    seconds: float


@dataclass(frozen=True)
class Failed:
    task: int
    error: str
    seconds: float


@dataclass(frozen=True)
class Bye:
    pass


WorkerEvent = Union[Ready, InitFailed, Done, Failed, Bye]


class ChannelClosed(Exception):
    """The worker process is gone (it exited, crashed or was killed)."""


def _event(message: Dict[str, Any]) -> WorkerEvent:
    kind = message.get("event")
    if kind == "ready":
        return Ready()
    if kind == "init_failed":
        return InitFailed(str(message.get("error", "")))
    if kind == "done":
        return Done(int(message["task"]), int(message["count"]), str(message.get("rows", "")),
                    float(message.get("seconds", 0.0)))
    if kind == "failed":
        return Failed(int(message["task"]), str(message.get("error", "")), float(message.get("seconds", 0.0)))
    if kind == "bye":
        return Bye()
    raise ValueError(f"unknown worker event {kind!r}")


class StartCanceled(Exception):
    """The job ended while a worker was still being started."""


def _connect(port: int, deadline: float, stop: Optional[threading.Event]) -> socket.socket:
    """Connect to the supervisor, retrying while the container is still starting."""
    while True:
        if stop is not None and stop.is_set():
            raise StartCanceled()
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _request(port: int, token: str, request: Dict[str, Any], deadline: float,
             stop: Optional[threading.Event] = None) -> socket.socket:
    sock = _connect(port, deadline, stop)
    sock.sendall(json.dumps({"token": token, **request}).encode() + b"\n")
    return sock


class WorkerChannel:
    """One worker process, owned by its connection."""

    def __init__(self, sock: socket.socket, pid: int):
        self.sock = sock
        self.pid = pid
        self._buffer = b""

    @classmethod
    def open(cls, port: int, token: str, stdout: str, stderr: str, deadline: float,
             stop: Optional[threading.Event] = None) -> WorkerChannel:
        """Ask the supervisor for a new worker; the worker's hello names its pid (to kill it on a timeout).
        Setting `stop` gives up (StartCanceled) instead of retrying until `deadline`."""
        while True:
            sock = _request(port, token, {"op": "worker", "stdout": stdout, "stderr": stderr}, deadline, stop)
            sock.settimeout(max(1.0, deadline - time.monotonic()))
            try:
                line = sock.makefile("rb").readline()
            except OSError:
                line = b""
            if line:
                break
            # The port may answer before the supervisor listens (Docker's proxy accepts, then drops): retry.
            sock.close()
            if time.monotonic() >= deadline:
                raise LocalepError("the batch driver in the container did not start a worker")
            time.sleep(0.1)
        hello = json.loads(line)
        if "error" in hello:
            sock.close()
            raise LocalepError(f"the batch driver could not start a worker process: {hello['error']}")
        sock.setblocking(False)
        return cls(sock, int(hello["pid"]))

    def fileno(self) -> int:
        return self.sock.fileno()

    def _send(self, message: Dict[str, Any]) -> None:
        self.sock.setblocking(True)
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as error:
            raise ChannelClosed(str(error)) from None
        finally:
            self.sock.setblocking(False)

    def init(self, script: str, code: str, output_action: str, logging_level: str, process: str) -> None:
        self._send({"op": "init", "script": script, "code": code, "output_action": output_action,
                    "logging_level": logging_level, "process": process})

    def run(self, task: int, files: List[str]) -> None:
        self._send({"op": "run", "task": task, "files": files})

    def shutdown(self) -> None:
        self._send({"op": "shutdown"})

    def receive(self) -> List[WorkerEvent]:
        """Every complete event that has arrived (call when the socket is readable); ChannelClosed at EOF."""
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return []
        except OSError as error:
            raise ChannelClosed(str(error)) from None
        if not chunk:
            raise ChannelClosed("the worker process exited")
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [_event(json.loads(line)) for line in lines if line.strip()]

    def close(self) -> None:
        self.sock.close()


def kill_worker(port: int, token: str, pid: int) -> bool:
    """Have the supervisor kill a worker (and what it started); True when it was still there."""
    sock = _request(port, token, {"op": "kill", "pid": pid}, time.monotonic() + 5)
    try:
        sock.settimeout(10)
        line = sock.makefile("rb").readline()
        return bool(line) and bool(json.loads(line).get("killed"))
    finally:
        sock.close()


def wait_for_answer(channel: WorkerChannel, timeout: float) -> Optional[WorkerEvent]:
    """Block for the next event (shutdown's bye); None on timeout or when the worker is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            events = channel.receive()
        except ChannelClosed:
            return None
        if events:
            return events[0]
        time.sleep(0.02)
    return None
