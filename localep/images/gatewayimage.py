"""The image an endpoint's gateway container runs: a venv with the gateway's three dependencies on top of an image
that already exists locally (the endpoint's first environment image), built as one package layer.

No registry is needed and nothing is pulled: the layer is installed with localep's package cache mounted (offline
once cached), content-hashed by its base and its requirements, and reused by every endpoint on the same base.
localep's own code is not baked in: the container mounts the installed localep package read-only, so the gateway
runs the same code inside and outside a container.
"""

from __future__ import annotations

from typing import Tuple

import docker

from localep.images.kinds.base import ENVIRONMENT_PYTHON, PackageLayer
from localep.images.layerbuild import ensure_layers
from localep.images.layers import plan_layers
from localep.images.settings import BuildSettings
from localep.progress import Reporter
from localep.yamlspec.model import DeploymentAssets

GATEWAY_REQUIREMENTS: Tuple[str, ...] = ("httptools>=0.5", "docker>=6.0", "pyyaml>=5.4")  # as pyproject.toml's
GATEWAY_PYTHON = ENVIRONMENT_PYTHON
GATEWAY_REPOSITORY = "localep/gateway"  # its own name, so it is told apart from environment layers at a glance


def ensure_gateway_image(client: docker.DockerClient, base: str, settings: BuildSettings, reporter: Reporter,
                         deployment: DeploymentAssets) -> str:
    """The gateway image's tag (built on `base` the first time, reused afterwards)."""
    layer = PackageLayer(name="gateway", requirements=GATEWAY_REQUIREMENTS, create_venv=True)
    planned = plan_layers([layer], client.images.get(base).id, settings.installer)
    built = ensure_layers(client, planned, base, settings, reporter, deployment)
    tag = f"{GATEWAY_REPOSITORY}:{built.rpartition(':')[2]}"
    client.images.get(built).tag(tag)
    return tag
