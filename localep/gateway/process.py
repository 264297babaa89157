"""Running an endpoint's gateway as a detached, supervised process, and stopping it.

The gateway outlives the terminal that started it (new session, no stdin, output to its log file); later
commands talk to it through its control socket (`localep.gateway.client`) and stop it by its supervisor's pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Union

import localep
from localep.errors import LocalepError, Location, PortInUse
from localep.exitcodes import ExitCode
from localep.fileio import open_append
from localep.gateway.client import ControlClient, GatewayRejected, GatewayUnreachable
from localep.gateway.config import GatewayConfig, save_config, with_token_secret
from localep.processes import process_alive

LOG_TAIL_LINES = 30


def start_gateway(config: GatewayConfig, config_path: Union[str, Path], log_path: Union[str, Path],
                  timeout_s: float = 15.0) -> int:
    """Save `config` (with its token secret, so the gateway need not rewrite it at start) where the gateway reads
    it, start the supervised gateway detached and return the supervisor's pid once the gateway answers on its
    control socket; raise with its log tail if it dies."""
    config_path, log_path = Path(config_path).resolve(), Path(log_path).resolve()
    if not config.control_socket:
        raise LocalepError("the gateway config names no control_socket", Location(config_path))
    save_config(with_token_secret(config), config_path)
    control = ControlClient(config.control_socket, timeout_s=0.5)
    log_start = log_path.stat().st_size if log_path.exists() else 0
    package_root = str(Path(localep.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    with open_append(log_path, private=True) as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "localep.gateway", "--config", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            tail = log_tail(log_path, log_start)
            where = Location(config_path)
            if code == ExitCode.PORT_IN_USE:
                raise PortInUse(f"endpoint port {config.port} is already in use", where, detail=tail)
            raise LocalepError(f"the gateway for endpoint {config.endpoint} exited with status {code}", where, tail)
        try:
            if control.state().supervisor == process.pid:
                return process.pid
        except (GatewayUnreachable, GatewayRejected):
            pass
        time.sleep(0.05)
    stop_gateway(process.pid)
    raise LocalepError(
        f"the gateway for endpoint {config.endpoint} did not answer within {timeout_s:g}s",
        Location(config_path),
        detail=log_tail(log_path, log_start),
    )


def stop_gateway(target: Union[int, Mapping[str, Any]], timeout_s: float = 10.0) -> bool:
    """Stop a gateway given its pid or its state; False when it was not running."""
    pid = int(target if isinstance(target, int) else target["pid"])
    if not is_gateway_process(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process_alive(pid, reap=True):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    while process_alive(pid, reap=True):
        time.sleep(0.05)
    return True


def is_gateway_process(pid: int) -> bool:
    """Guards against signalling an unrelated process that reused a dead gateway's pid."""
    if not process_alive(pid, reap=True):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc (macOS): the pid from our own state file is the best evidence available
    return b"localep.gateway" in cmdline.read_bytes()


def log_tail(log_path: Path, start: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(log_path, "rb") as stream:
            stream.seek(start)
            text = stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
