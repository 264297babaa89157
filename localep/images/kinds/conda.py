"""Base image with conda or mamba: create the environment from the conda file, as the cloud does."""

from __future__ import annotations

from typing import Optional

from localep.images import templates
from localep.images.kinds.base import MANAGED_SERVER, BaseImageFacts, Recipe, ServerSpec
from localep.spec.model import BuildContext, Environment

name = "conda"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.conda_file is not None and base is not None and base.conda is not None


def user_context(env: Environment) -> Optional[BuildContext]:
    return None


def recipe(env: Environment, base: BaseImageFacts) -> Recipe:
    assert env.conda_file is not None and base.conda is not None
    return Recipe(
        body=templates.render("conda.Dockerfile", conda=base.conda),
        files={"conda.yml": env.conda_file.read_bytes()},
    )


def server(env: Environment) -> ServerSpec:
    return MANAGED_SERVER
