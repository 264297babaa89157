"""An `image` with no conda file: used as it is, plus the server layer when it lacks the inference server."""

from __future__ import annotations

from typing import Optional

from localep.images.kinds.base import BaseImageFacts, inference_server, no_body, no_user_context
from localep.yamlspec.model import Environment

name = "image"


def applies(env: Environment, base: Optional[BaseImageFacts]) -> bool:
    return env.image is not None and env.conda_file is None and env.build is None and env.inference_config is None


user_context = no_user_context
recipe = no_body
server = inference_server
