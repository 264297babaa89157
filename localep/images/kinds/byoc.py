"""Bring your own container: an image with its own server, routes and port from `inference_config`."""

from __future__ import annotations

from typing import Optional

from localep.images.kinds.base import BaseImageFacts, ServerSpec, no_recipe, no_user_context
from localep.yamlspec.model import Environment

name = "byoc"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.inference_config is not None and env.build is None and env.conda_file is None


user_context = no_user_context
recipe = no_recipe


def byoc_server(env: Environment) -> ServerSpec:
    config = env.inference_config
    assert config is not None
    return ServerSpec(
        port=config.scoring_route.port,
        liveness_path=config.liveness_route.path,
        readiness_path=config.readiness_route.path,
        scoring_path=config.scoring_route.path,
    )


def server(env: Environment) -> ServerSpec:
    return byoc_server(env)
