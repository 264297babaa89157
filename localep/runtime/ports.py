"""Endpoint ports: stable across restarts, on 127.0.0.1 only, and a busy port names whoever holds it."""

from __future__ import annotations

import os
import socket
import zlib
from pathlib import Path
from typing import Optional

import docker

from localep.errors import PortInUse
from localep.runtime import labels
from localep.runtime.state import recorded_gateways, remembered_port

# Below Linux's ephemeral range (32768+), where outgoing connections' TIME-WAIT sockets would block a bind.
PORT_RANGE = (20000, 32000)


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now (the kernel's pick, not a remembered one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def preferred_port(endpoint: str) -> int:
    """A deterministic first choice, so a fresh machine gives an endpoint the same port every time."""
    low, high = PORT_RANGE
    return low + zlib.crc32(endpoint.encode()) % (high - low)


def endpoint_port(client: docker.DockerClient, endpoint: str, requested: Optional[int]) -> int:
    """`--port` wins; else the remembered port; else the first free from the preferred one. The endpoint's state
    remembers it once its gateway runs there (`start_endpoint_gateway`)."""
    if requested is not None:
        port = requested
    else:
        remembered = remembered_port(endpoint)
        if remembered:
            port = remembered
        else:
            port = preferred_port(endpoint)
            while not is_free(port):
                port += 1
    if not is_free(port):
        raise PortInUse(f"port {port} on 127.0.0.1 is in use by {port_holder(client, port)}; "
                        f"stop it or choose another with --port")
    return port


def port_holder(client: docker.DockerClient, port: int) -> str:
    for endpoint, gateway in recorded_gateways().items():
        if gateway.port == port:
            return f"localep endpoint {endpoint!r} (its gateway, pid {gateway.pid})"
    for container in client.containers.list():
        for bindings in (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).values():
            for binding in bindings or []:
                if binding.get("HostPort") == str(port):
                    owner = container.labels.get(labels.ENDPOINT)
                    what = f"localep endpoint {owner!r}, " if owner else ""
                    return f"{what}container {container.name}"
    process = _listening_process(port)
    return process or "another process"


def _listening_process(port: int) -> Optional[str]:
    """Linux only: map the listening socket's inode to a pid through /proc (best effort, may need root)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                    return f"process {pid} ({cmdline[:80]})"
        except OSError:
            continue
    return None
