"""A batch job's instances (containers): started, checked, and restarted when one is lost while the job runs.

The cloud re-queues a lost node's mini-batches and brings the node back; so does localep, a bounded number of
times per instance (MAX_RESTARTS), so a container that dies at once every time cannot keep a job going forever.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Optional

import docker.errors
from docker.models.containers import Container

from localep.batch.channel import SUPERVISOR_PORT
from localep.batch.plan import instance_name
from localep.errors import DeploymentFailed
from localep.runtime import containers
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.plan import ContainerPlan

MAX_RESTARTS = 3  # per instance, while one job runs
SETTLE_SECONDS = 2.0


@dataclass
class Instance:
    index: int
    plan: ContainerPlan
    container: Container
    port: int  # the driver's port on 127.0.0.1 (a restarted container gets a new one)
    restarts: int = 0
    # Set once this container is lost or the job ends: its workers still being started give up.
    gone: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return instance_name(self.index)

    @property
    def can_restart(self) -> bool:
        return self.restarts < MAX_RESTARTS


def start_instance(owned: Lifecycle, plan: ContainerPlan, index: int, restarts: int = 0) -> Instance:
    container = owned.start(plan)
    port = containers.published_port(container, f"{SUPERVISOR_PORT}/tcp")
    if port is None:
        raise DeploymentFailed(f"{plan.name} started without a published port")
    return Instance(index, plan, container, port, restarts)


def restart_instance(owned: Lifecycle, lost: Instance) -> Instance:
    """A new container in place of a lost one (same plan and name; the old one is removed first)."""
    lost.gone.set()
    owned.remove(lost.container)
    return start_instance(owned, lost.plan, lost.index, lost.restarts + 1)


def down_reason(instance: Instance, settle: float = SETTLE_SECONDS) -> Optional[str]:
    """Why the instance's container no longer runs (removed, stopped, out of memory); None while it runs.
    A worker's connection closes the moment its container is killed, a little before the engine says the container
    stopped: a container still running is asked again for up to `settle` seconds."""
    deadline = time.monotonic() + settle
    while True:
        reason = _down_now(instance)
        if reason is not None or time.monotonic() >= deadline:
            return reason
        time.sleep(0.1)


def _down_now(instance: Instance) -> Optional[str]:
    try:
        instance.container.reload()
    except docker.errors.NotFound:
        return "its container was removed"
    if instance.container.status == "running":
        return None
    state = instance.container.attrs.get("State", {})
    why = " (out of memory)" if state.get("OOMKilled") else ""
    return f"its container stopped{why} with exit code {state.get('ExitCode')}"


def container_logs(instance: Instance) -> str:
    """The last lines of the container's log, for an error message ("" when it cannot be read)."""
    try:
        instance.container.reload()
        logs = instance.container.logs(tail=40).decode(errors="replace")
        status = instance.container.status
    except docker.errors.DockerException:
        return ""
    return f"--- {instance.name} ({status}) ---\n{logs}"
