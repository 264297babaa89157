"""Base image without conda: a venv with the image's python, filled from PyPI with what the conda file asks for."""

from __future__ import annotations

from typing import List, Optional, Sequence

from localep.images.conda_to_pip import Translation, translate
from localep.images.kinds.base import ENVIRONMENT_PYTHON, BaseImageFacts, Recipe, inference_server, no_user_context
from localep.images.kinds.compatibility import binary_constraints
from localep.images.kinds.layering import server_first
from localep.yamlspec.conda import CondaEnvironment, parse_conda_file
from localep.yamlspec.model import Environment

name = "pip"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.conda_file is not None and base is not None and base.conda is None


user_context = no_user_context
server = inference_server


def recipe(env: Environment, base: BaseImageFacts) -> Recipe:
    assert env.conda_file is not None
    conda_env = parse_conda_file(env.conda_file)
    translation = translate(conda_env.conda_packages, conda_env.pip_packages)
    constraints = binary_constraints(translation.requirements)
    return Recipe(
        body="",
        warnings=fallback_warnings(env, base, conda_env, translation, constraints.notes),
        layers=server_first(translation.requirements + constraints.added, ENVIRONMENT_PYTHON, create_venv=True,
                            from_conda=[pip for _, pip in translation.translated] + constraints.added),
    )


def fallback_warnings(
    env: Environment, base: BaseImageFacts, conda_env: CondaEnvironment, translation: Translation,
    compatibility: Sequence[str] = (),
) -> List[str]:
    """One warning that says everything the pip route changed compared with the cloud's conda build."""
    parts = [f"{base.image} has no conda, so the conda file's packages are installed with pip into a venv"]
    if translation.translated:
        parts.append("translated: " + ", ".join(f"{conda} -> {pip}" for conda, pip in translation.translated))
    if translation.skipped:
        parts.append("skipped (not on PyPI): " + ", ".join(translation.skipped))
    wanted = conda_env.python_version
    if wanted and base.python_version and not _same_minor(wanted, base.python_version):
        parts.append(f"python mismatch: the conda file asks for {wanted}, the image has {base.python_version}")
    parts += compatibility
    return ["; ".join(parts)]


def _same_minor(wanted: str, actual: str) -> bool:
    wanted_parts = wanted.lstrip("=<>~ ").split(".")[:2]
    return actual.split(".")[: len(wanted_parts)] == wanted_parts
