"""Starting, finding and removing localep's containers (runtime/lifecycle.py owns what one command started)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import DeviceRequest
from docker.types import Mount as DockerMount

from localep.errors import PortInUse
from localep.runtime import labels
from localep.runtime.plan import ContainerPlan
from localep.runtime.ports import port_holder

# How the engine says a published port is taken (userland proxy, or another container's binding).
BUSY_PORT = re.compile(r"(?:listen tcp4? [\d.]+:(\d+): bind: address already in use|Bind for [\d.]+:(\d+) failed)")


@dataclass(frozen=True)
class RunningContainer:
    """What `ps` shows about one container, read back from Docker."""

    name: str
    endpoint: str
    deployment: str
    instance: int
    status: str
    debug_port: Optional[int]
    image: str
    labels: Dict[str, str]


def start(client: docker.DockerClient, plan: ContainerPlan, run: bool = True) -> Container:
    """Create the container of `plan` and start it (`run=False`: created only, e.g. a parked autoscale instance)."""
    remove_named(client, plan.name)
    container = client.containers.create(
        plan.image,
        command=plan.command or None,
        name=plan.name,
        environment=plan.environment,
        mounts=[DockerMount(m.target, str(m.source), type="bind", read_only=m.read_only) for m in plan.mounts],
        ports=plan.ports,
        labels=plan.labels,
        nano_cpus=plan.nano_cpus,
        mem_limit=plan.mem_limit,
        memswap_limit=plan.mem_limit,  # no swap beyond the limit: the cloud's instances have none
        device_requests=[DeviceRequest(count=plan.gpus, capabilities=[["gpu"]])] if plan.gpus else None,
        user=plan.user,
        network=plan.network,
        cap_add=plan.cap_add or None,
        init=True,
        detach=True,
    )
    if not run:
        return container
    try:
        container.start()
    except docker.errors.APIError as error:
        remove_quietly(container)
        busy = BUSY_PORT.search(str(error.explanation or error))
        if busy:
            port = int(busy.group(1) or busy.group(2))
            raise PortInUse(f"{plan.name} cannot publish port {port} on 127.0.0.1: it is in use by "
                            f"{port_holder(client, port)}") from None
        raise
    except BaseException:
        remove_quietly(container)
        raise
    container.reload()
    return container


def engine_has_gpu(client: docker.DockerClient) -> bool:
    """Whether the engine can give containers GPUs (the NVIDIA container runtime is registered)."""
    info = client.info()
    return "nvidia" in (info.get("Runtimes") or {}) or info.get("DefaultRuntime") == "nvidia"


def published_port(container: Container, container_port: str) -> Optional[int]:
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(container_port) or []
    return int(bindings[0]["HostPort"]) if bindings else None


def container_address(attrs: Dict[str, Any]) -> Optional[str]:
    """The container's IP on its first network (docker inspect), if it has one."""
    settings = attrs.get("NetworkSettings") or {}
    if settings.get("IPAddress"):
        return str(settings["IPAddress"])
    for network in (settings.get("Networks") or {}).values():
        if network.get("IPAddress"):
            return str(network["IPAddress"])
    return None


def host_reaches_containers(client: docker.DockerClient) -> bool:
    """Whether the host routes to containers' own addresses (Linux, rootful engine), so nothing needs publishing.
    Docker Desktop runs the engine in a VM and a rootless engine in its own network namespace: there a port is
    published on 127.0.0.1 instead (the narrowest alternative; the container still demands the endpoint's secret)."""
    if not sys.platform.startswith("linux"):
        return False
    info = client.info()
    rootless = any("rootless" in str(option) for option in info.get("SecurityOptions") or [])
    return not rootless and "docker desktop" not in str(info.get("OperatingSystem", "")).lower()


def instance_url(container: Container, port: int) -> Optional[str]:
    """Where the host reaches a started container's server: its published 127.0.0.1 port if it has one, else its
    own address."""
    published = published_port(container, f"{port}/tcp")
    if published is not None:
        return f"http://127.0.0.1:{published}"
    address = container_address(container.attrs)
    return f"http://{address}:{port}" if address else None


def remove_quietly(container: Container) -> None:
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        if "already in progress" not in str(error):
            raise


def remove_named(client: docker.DockerClient, name: str) -> None:
    try:
        remove_quietly(client.containers.get(name))
    except docker.errors.NotFound:
        pass


def _listed(client: docker.DockerClient, label_filters: List[str]) -> Iterator[Container]:
    """Each listed container that still exists when inspected: `containers.list` fails whole when one of them is
    removed between the listing and its inspection (another command's `down`, a test's teardown)."""
    for summary in client.api.containers(all=True, filters={"label": label_filters}):
        try:
            yield client.containers.get(summary["Id"])
        except docker.errors.NotFound:
            continue


def find(client: docker.DockerClient, endpoint: Optional[str] = None, deployment: Optional[str] = None) -> List[Container]:
    filters = [f"{labels.MANAGED}=true"]
    if endpoint:
        filters.append(f"{labels.ENDPOINT}={endpoint}")
    if deployment:
        filters.append(f"{labels.DEPLOYMENT}={deployment}")
    found = [container for container in _listed(client, filters)
             if container.labels.get(labels.ROLE) != labels.GATEWAY_ROLE]  # the gateway is no deployment
    return sorted(found, key=lambda c: (c.labels.get(labels.ENDPOINT, ""), c.labels.get(labels.DEPLOYMENT, ""),
                                        int(c.labels.get(labels.INSTANCE, "0"))))


def describe(container: Container) -> RunningContainer:
    container_labels = container.labels
    debug = container_labels.get(labels.DEBUG_PORT)
    return RunningContainer(
        name=container.name,
        endpoint=container_labels.get(labels.ENDPOINT, ""),
        deployment=container_labels.get(labels.DEPLOYMENT, ""),
        instance=int(container_labels.get(labels.INSTANCE, "0")),
        status=container.status,
        debug_port=int(debug) if debug else None,
        image=(container.image.tags or [container.image.id])[0] if container.image else "",
        labels=dict(container_labels),
    )
