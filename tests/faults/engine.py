"""Restart the Docker engine named by DOCKER_HOST the way it was started: find its dockerd by the socket it
serves, stop it (SIGTERM, as `systemctl stop` would), and run the same command line again, detached, with the
same environment and working folder. Works for the private engine of tests/faults/private-engine and for CI's
`nohup dockerd` (.ci/docker-engine)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import List, Optional

import docker

DEFAULT_SOCKET = "/var/run/docker.sock"


def engine_socket() -> str:
    host = os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    if not host.startswith("unix://"):
        raise RuntimeError(f"cannot restart a remote engine ({host})")
    return os.path.realpath(host[len("unix://"):])


def _sockets_of(argv: List[str]) -> List[str]:
    hosts = [value for flag, value in zip(argv, argv[1:]) if flag in ("-H", "--host")]
    hosts += [arg.split("=", 1)[1] for arg in argv if arg.startswith("--host=")]
    return [os.path.realpath(h[len("unix://"):]) for h in hosts if h.startswith("unix://")] or [
        os.path.realpath(DEFAULT_SOCKET)]


def find_dockerd(socket_path: str) -> Optional[int]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == "dockerd" and socket_path in _sockets_of(argv):
            return int(entry.name)
    return None


def restart_engine(timeout_s: float = 60.0) -> float:
    """Restart the engine; returns the seconds from stopping it to its answering again."""
    socket_path = engine_socket()
    pid = find_dockerd(socket_path)
    if pid is None:
        raise RuntimeError(f"no dockerd serving {socket_path} on this machine")
    proc = Path(f"/proc/{pid}")
    argv = proc.joinpath("cmdline").read_bytes().decode().split("\0")[:-1]
    env = dict(item.split("=", 1) for item in proc.joinpath("environ").read_bytes().decode().split("\0") if "=" in item)
    cwd = os.readlink(proc / "cwd")
    log = Path(f"/var/log/{Path(socket_path).stem}-restarts.log")
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists() and time.monotonic() - started < timeout_s:
        time.sleep(0.1)
    with open(log, "ab") as output:
        subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                         start_new_session=True)
    while time.monotonic() - started < timeout_s:
        try:
            docker.DockerClient(base_url=f"unix://{socket_path}", timeout=5).ping()
            return time.monotonic() - started
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"the engine on {socket_path} did not answer within {timeout_s:g}s of its restart")
