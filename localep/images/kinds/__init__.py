"""Registry of environment kinds; the first that applies wins, so the most specific come first."""

from __future__ import annotations

from typing import List, Optional

from localep.images.kinds import byoc, conda, docker_context, pip_fallback, prebuilt, triton
from localep.images.kinds.base import INFERENCE_SERVER, BaseImageFacts, EnvironmentKind, ServerSpec, no_recipe
from localep.yamlspec.model import Environment

KINDS: List[EnvironmentKind] = [docker_context, triton, byoc, conda, pip_fallback, prebuilt]


def select_kind(env: Environment, base: Optional[BaseImageFacts]) -> EnvironmentKind:
    for kind in KINDS:
        if kind.applies(env, base):
            return kind
    raise ValueError("no environment kind applies; the spec loader should have rejected this environment")


def needs_base_facts(env: Environment) -> bool:
    """Only the conda-or-pip choice depends on what the base image contains."""
    return env.conda_file is not None and env.build is None


def kind_running_as_is(env: Environment) -> Optional[EnvironmentKind]:
    """The kind of an environment whose image runs unchanged (BYOC, Triton); None when localep builds one."""
    if needs_base_facts(env):
        return None
    kind = select_kind(env, None)
    return kind if kind.recipe is no_recipe else None


def kind_named(name: str) -> EnvironmentKind:
    """The kind an existing image was built with (its `localep.kind` label)."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(name)


def server_for(env: Environment) -> ServerSpec:
    """The server an environment's image runs, without building or probing it: only the conda-or-pip choice needs
    the base image, and both run the Azure ML inference server."""
    if needs_base_facts(env):
        return INFERENCE_SERVER
    return select_kind(env, None).server(env)
