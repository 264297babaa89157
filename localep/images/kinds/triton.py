"""Triton Inference Server for a `triton_model` without code: the image runs `tritonserver` on the mounted model
repository, probed and served over KServe v2 on port 8000."""

from __future__ import annotations

import dataclasses
from typing import Optional

from localep.images.kinds.base import BaseImageFacts, ServerSpec, no_recipe, no_user_context
from localep.images.kinds.byoc import byoc_server
from localep.yamlspec.model import Environment

name = "triton"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.generated_server is not None and env.inference_config is not None


user_context = no_user_context
recipe = no_recipe


def server(env: Environment) -> ServerSpec:
    generated = env.generated_server
    assert generated is not None
    return dataclasses.replace(byoc_server(env), command=generated.command, protocol=generated.protocol)
