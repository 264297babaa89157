"""`environment.build`: the user's own Docker context is built first, then localep's server layer on top."""

from __future__ import annotations

from typing import Optional

from localep.images.kinds.base import INFERENCE_SERVER, BaseImageFacts, ServerSpec, no_body
from localep.images.kinds.byoc import byoc_server
from localep.yamlspec.model import BuildContext, Environment

name = "docker-context"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.build is not None


def user_context(env: Environment) -> Optional[BuildContext]:
    return env.build


recipe = no_body


def server(env: Environment) -> ServerSpec:
    return byoc_server(env) if env.inference_config else INFERENCE_SERVER
