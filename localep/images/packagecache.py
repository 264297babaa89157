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

from localep.errors import LocalepError

DEFAULT_VOLUME = "localep-package-cache"
VOLUME_VARIABLE = "LOCALEP_PACKAGE_CACHE"
LABEL_PACKAGE_CACHE = "localep.package-cache"
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
    """Run `script` with the cache mounted in a throw-away container of `image` (a local image: never pulled),
    without network; None when the volume is absent."""
    try:
        client.volumes.get(name)
    except docker.errors.NotFound:
        return None
    container = client.api.create_container(
        image, entrypoint=["/bin/sh", "-c"], command=[script], user="0", network_disabled=True,
        host_config=client.api.create_host_config(mounts=[cache_mount(name)]),
    )["Id"]
    try:
        client.api.start(container)
        status = client.api.wait(container).get("StatusCode", 1)
        output = client.api.logs(container, stdout=True, stderr=True).decode(errors="replace")
        if status != 0:
            raise LocalepError(f"package cache maintenance failed ({status}): {output.strip()[-300:]}")
        return output
    finally:
        client.api.remove_container(container, force=True)
