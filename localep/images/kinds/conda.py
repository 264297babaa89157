"""Base image with conda or mamba: create the environment from the conda file, as the cloud does."""

from __future__ import annotations

from typing import Optional

import yaml

from localep.images.kinds.base import ENVIRONMENT_PYTHON, BaseImageFacts, Recipe, inference_server, no_user_context
from localep.images.kinds.layering import server_first
from localep.yamlspec.conda import parse_conda_file
from localep.yamlspec.model import Environment

name = "conda"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.conda_file is not None and base is not None and base.conda is not None


user_context = no_user_context
server = inference_server


def recipe(env: Environment, base: BaseImageFacts) -> Recipe:
    assert env.conda_file is not None and base.conda is not None
    conda_env = parse_conda_file(env.conda_file)
    return Recipe(
        body="",
        layers=server_first(conda_env.pip_packages, ENVIRONMENT_PYTHON, conda=base.conda,
                            conda_file=without_pip_section(env.conda_file.read_text(encoding="utf-8"))),
    )


def without_pip_section(conda_text: str) -> bytes:
    """The conda file minus its `pip:` list, which the installer puts in layers of its own."""
    data = yaml.safe_load(conda_text) or {}
    data["dependencies"] = [item for item in data.get("dependencies") or [] if not isinstance(item, dict)]
    return yaml.safe_dump(data, sort_keys=False).encode()
