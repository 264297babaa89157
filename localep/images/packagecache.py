"""The package cache: one named Docker volume that every environment build mounts (uv, pip and conda downloads).

A volume, not a host folder, so it works the same on Docker Desktop (no file sharing to set up) and survives
between builds and across environments. $LOCALEP_PACKAGE_CACHE names another volume (tests use a private one).
"""

from __future__ import annotations

import os
from typing import Mapping, Optional

import docker
import docker.errors
from docker.types import Mount

DEFAULT_VOLUME = "localep-package-cache"
VOLUME_VARIABLE = "LOCALEP_PACKAGE_CACHE"
LABEL_PACKAGE_CACHE = "localep.package-cache"
LABEL_BUILD_CONTAINER = "localep.build-container"
CACHE_MOUNT = "/localep-cache"


def volume_name(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(VOLUME_VARIABLE) or DEFAULT_VOLUME


def ensure_volume(client: docker.DockerClient, name: str) -> str:
    """Create the volume on first use (creating an existing volume returns it, so concurrent builds are fine)."""
    client.volumes.create(name=name, labels={LABEL_PACKAGE_CACHE: "true"})
    return name


def cache_mount(name: str) -> Mount:
    return Mount(target=CACHE_MOUNT, source=name, type="volume")


def run_in_cache(client: docker.DockerClient, image: str, name: str, script: str) -> Optional[str]:
    """Run `script` with the cache mounted in a throw-away container of `image`; None when the volume is absent."""
    try:
        client.volumes.get(name)
    except docker.errors.NotFound:
        return None
    output = client.containers.run(
        image, entrypoint=["/bin/sh", "-c"], command=[script], remove=True, network_disabled=True, user="0",
        mounts=[cache_mount(name)], labels={LABEL_BUILD_CONTAINER: "true"},
    )
    return output.decode(errors="replace")
