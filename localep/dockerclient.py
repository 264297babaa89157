"""One way to reach the Docker engine, with errors that say what is actually wrong."""

from __future__ import annotations

import os
from functools import lru_cache

import docker
import docker.errors

from localep.errors import DockerUnavailable


@lru_cache(maxsize=1)
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except docker.errors.DockerException as error:
        raise DockerUnavailable(_explain(str(error))) from None


def _explain(reason: str) -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if "Permission denied" in reason:
        hint = "your user may not access the socket: add it to the 'docker' group or use sudo"
    elif "No such file" in reason or "Connection refused" in reason or "FileNotFoundError" in reason:
        hint = "the engine is not running: start Docker (Docker Desktop, or `sudo dockerd`)"
    else:
        hint = "check that `docker info` works in this shell"
    return f"cannot reach the Docker engine at {host}: {hint} ({reason.splitlines()[0][:200]})"
