"""An endpoint's gateway as a container, so the endpoint outlives every localep process on the host and comes
back with the Docker engine (after a reboot, a Docker Desktop restart): restart policy `unless-stopped`.

It runs the same code as a host-side gateway (`python -m localep.gateway`, the supervisor and its serving child),
from the installed localep package mounted read-only at the same path, with the same config file, in the same
0700 endpoint folder (bind-mounted: config, control socket, log), as the owner's uid:gid so every file it writes
stays the owner's. It shares the host's network namespace, so it listens on 127.0.0.1:<port> only and reaches the
deployments exactly where a host-side gateway does; nothing is published. The engine's socket is mounted so the
instance keeper can restart deployment containers, which the user running localep may do anyway.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Dict, Optional

import docker
import docker.errors
from docker.models.containers import Container

import localep
from localep import __version__
from localep.datacollect.plan import datastores_root
from localep.errors import LocalepError
from localep.fileio import make_dirs
from localep.gateway.client import ControlClient, GatewayRejected, GatewayUnreachable
from localep.gateway.process import log_tail
from localep.images.gatewayimage import GATEWAY_PYTHON
from localep.runtime import labels

SOCKET_IN_CONTAINER = "/var/run/docker.sock"
START_TIMEOUT_S = 30.0


def container_name(endpoint: str) -> str:
    return f"localep-gateway-{endpoint}"


def engine_socket() -> Optional[str]:
    """The engine's unix socket on this machine (DOCKER_HOST or the default); None for a remote engine."""
    host = os.environ.get("DOCKER_HOST") or f"unix://{SOCKET_IN_CONTAINER}"
    return host[len("unix://"):] if host.startswith("unix://") else None


def _mounts(folder: Path, record_path: Optional[str]) -> Dict[str, Dict[str, str]]:
    """The package (read-only), the endpoint's folder, the datastores payload logs go to, the engine's socket and
    the folder of a recording given at start."""
    package = str(Path(localep.__file__).resolve().parent)
    datastores = make_dirs(datastores_root(), private=True)
    mounts = {package: {"bind": package, "mode": "ro"}, str(folder): {"bind": str(folder), "mode": "rw"},
              str(datastores): {"bind": str(datastores), "mode": "rw"}}
    socket = engine_socket()
    if socket is not None:
        mounts[socket] = {"bind": SOCKET_IN_CONTAINER, "mode": "rw"}
    if record_path:
        record_folder = str(Path(record_path).parent)
        mounts.setdefault(record_folder, {"bind": record_folder, "mode": "rw"})
    return mounts


def start_gateway_container(client: docker.DockerClient, endpoint: str, image: str, config_path: Path,
                            log_path: Path, control_socket: str, record_path: Optional[str]) -> str:
    """Start it (replacing a leftover of the same name) and return its name once its control socket answers."""
    name = container_name(endpoint)
    remove_gateway_container(client, name)
    socket = engine_socket()
    # The serving gateway itself: the engine's restart policy is its supervisor here. umask 077: its log, and every
    # file it writes into the owner's folders, is owner-only from creation, as on the host.
    command = (f"umask 077; exec {GATEWAY_PYTHON} -m localep.gateway --serve --config {shlex.quote(str(config_path))} "
               f">> {shlex.quote(str(log_path))} 2>&1")
    container = client.containers.run(
        image, command=["/bin/sh", "-c", command], entrypoint=[], name=name, detach=True, init=True,
        network_mode="host", user=f"{os.getuid()}:{os.getgid()}",
        group_add=[str(os.stat(socket).st_gid)] if socket else None,
        restart_policy={"Name": "unless-stopped"},
        environment={"PYTHONPATH": str(Path(localep.__file__).resolve().parent.parent), "HOME": "/tmp",
                     "PYTHONDONTWRITEBYTECODE": "1", "DOCKER_HOST": f"unix://{SOCKET_IN_CONTAINER}"},
        volumes=_mounts(config_path.parent, record_path),
        labels={labels.MANAGED: "true", labels.ENDPOINT: endpoint, labels.ROLE: labels.GATEWAY_ROLE,
                labels.VERSION: __version__},
    )
    _wait_until_answering(container, endpoint, ControlClient(control_socket, timeout_s=0.5), log_path)
    return name


def _wait_until_answering(container: Container, endpoint: str, control: ControlClient, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if control.state().endpoint == endpoint:
                return
        except (GatewayUnreachable, GatewayRejected):
            pass
        container.reload()
        if container.status == "exited":
            break
        time.sleep(0.05)
    detail = log_tail(log_path)
    container.remove(force=True)
    raise LocalepError(f"the gateway container of endpoint {endpoint} did not answer within {START_TIMEOUT_S:g}s",
                       detail=detail)


def remove_gateway_container(client: docker.DockerClient, name: str) -> bool:
    """False when there was none."""
    try:
        client.containers.get(name).remove(force=True)
        return True
    except docker.errors.NotFound:
        return False


def gateway_container_state(client: docker.DockerClient, name: str) -> Optional[Dict[str, object]]:
    """docker inspect's State of the gateway container; None when it does not exist."""
    try:
        return dict(client.api.inspect_container(name).get("State") or {})
    except docker.errors.NotFound:
        return None
