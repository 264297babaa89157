"""Out of memory, named as the cloud names it: a container (or a process in it) killed for memory, and its peak.

Docker marks `State.OOMKilled` only once a container has exited; a gunicorn worker killed for memory leaves the
container running (the master forks a new worker, which runs `init()` again). The engine's `oom` event is the
signal that comes at once, so both are checked.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, Mapping, Optional, Set

import docker.errors
from docker.models.containers import Container

GIB = 2**30


def gib(value: Optional[float]) -> str:
    return "?" if value is None else f"{value / GIB:.2f} GiB"


def killed_for_memory(state: Mapping[str, Any]) -> bool:
    """An exited container the kernel killed for memory (Docker's flag; exit 137 alone can also be `docker kill`)."""
    return bool(state.get("OOMKilled"))


def oom_events(client: docker.DockerClient, containers: Iterable[str], since: float, until: float) -> Set[str]:
    """Ids of `containers` (names or ids) with an `oom` event in [since, until)."""
    wanted = list(containers)
    if not wanted:
        return set()
    events = client.api.events(since=f"{since:.6f}", until=f"{until:.6f}", decode=True,
                               filters={"event": "oom", "container": wanted})
    return {str(event.get("id") or (event.get("Actor") or {}).get("ID")) for event in events}


def had_oom(container: Container, since: float) -> bool:
    """Whether a process in `container` was killed for memory since `since` (epoch seconds), or it exited so."""
    if killed_for_memory(container.attrs.get("State") or {}):
        return True
    return container.id in oom_events(container.client, [container.id], since, time.time())


def peak_memory(container: Container) -> Optional[int]:
    """The most memory the container used (cgroup v1 keeps the peak; v2 gives only current use), None if gone."""
    try:
        stats: Dict[str, Any] = container.stats(stream=False, one_shot=True)
    except (docker.errors.APIError, docker.errors.NotFound):
        return None
    memory = stats.get("memory_stats") or {}
    peak = memory.get("max_usage") or memory.get("usage")
    return int(peak) if peak else None


def out_of_memory_message(deployment: str, instance_type: Optional[str], limit: Optional[int],
                          peak: Optional[int]) -> str:
    """The one sentence `up` fails with (and the log keeps)."""
    what = f"{instance_type} gives it {gib(limit)}" if instance_type else f"its memory limit is {gib(limit)}"
    return (f"deployment {deployment} ran out of memory: the container was killed for memory (OOMKilled), as the "
            f"cloud kills it; {what}, peak seen {gib(peak)}. Use a larger instance_type or load less in init()")


def out_of_memory_note(state: Mapping[str, Any], last_exit_reason: Optional[str] = None) -> Optional[str]:
    """The line `logs` adds after a container's output when it was (or last was) killed for memory."""
    if killed_for_memory(state) or "out of memory" in (last_exit_reason or ""):
        return "localep: out of memory: this container was killed for memory (OOMKilled), as the cloud kills it"
    return None
