"""An `image` with no conda file: used as it is, plus the server layer when it lacks the inference server."""

from __future__ import annotations

from typing import Optional

from localep.images.kinds.base import MANAGED_SERVER, BaseImageFacts, Recipe, ServerSpec
from localep.yamlspec.model import BuildContext, Environment

name = "image"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.image is not None and env.conda_file is None and env.build is None and env.inference_config is None


def user_context(env: Environment) -> Optional[BuildContext]:
    return None


def recipe(env: Environment, base: BaseImageFacts) -> Recipe:
    return Recipe(body="")


def server(env: Environment) -> ServerSpec:
    return MANAGED_SERVER
