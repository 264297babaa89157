"""Container logs, prefixed with the deployment that wrote them."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Iterable, List, Optional

import docker.errors
from docker.models.containers import Container

from localep.progress import Reporter
from localep.runtime import labels


def source_name(container: Container) -> str:
    deployment = container.labels.get(labels.DEPLOYMENT, container.name)
    instance = int(container.labels.get(labels.INSTANCE, "0"))
    return deployment if instance == 0 else f"{deployment}#{instance + 1}"


def stream_lines(container: Container, follow: bool, tail: Optional[int] = None, since: Optional[float] = None) -> Iterable[str]:
    """Log lines as they arrive, split correctly across chunk boundaries."""
    kwargs: Dict[str, Any] = {"stream": True, "follow": follow, "tail": tail if tail is not None else "all"}
    if since is not None:
        kwargs["since"] = since
    pending = b""
    try:
        for chunk in container.logs(**kwargs):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.decode(errors="replace").rstrip("\r")
    except docker.errors.NotFound:
        return
    if pending:
        yield pending.decode(errors="replace")


def follow_in_background(
    containers: List[Container], reporter: Reporter, on_line: Optional[Callable[[Container, str], None]] = None,
    since: Optional[float] = None,
) -> List[threading.Thread]:
    """One daemon thread per container, printing its log until the container goes away."""
    threads = []
    for container in containers:
        def pump(container: Container = container) -> None:
            name = source_name(container)
            for line in stream_lines(container, follow=True, since=since):
                reporter.log(name, line)
                if on_line is not None:
                    on_line(container, line)

        thread = threading.Thread(target=pump, name=f"logs-{container.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
