"""The one protocol every environment kind implements (pre-commit's Language, for Azure ML environments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Tuple

from localep.protocol import AZUREML_PROTOCOL, LIVENESS_PATH, SCORING_PATH
from localep.spec.model import BuildContext, Environment

AZUREML_SERVER_PORT = 5001


@dataclass(frozen=True)
class BaseImageFacts:
    """What a base image offers, learned once by running it."""

    image: str
    image_id: str
    conda: Optional[str] = None
    python_version: Optional[str] = None


@dataclass(frozen=True)
class Recipe:
    """A Dockerfile body (after localep's header) and the files it COPYs from `localep/`."""

    body: str
    files: Dict[str, bytes] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServerSpec:
    """How to run and probe the HTTP server in the image.

    `managed` servers are the Azure ML inference server started by localep's agent (reload and debug work);
    the others (BYOC) run the image's own command and routes.
    """

    managed: bool
    port: int = AZUREML_SERVER_PORT
    liveness_path: str = LIVENESS_PATH
    scoring_path: str = SCORING_PATH
    readiness_path: str = LIVENESS_PATH
    command: Tuple[str, ...] = ()
    # "azureml": the endpoint serves /score, /swagger.json and liveness; "kserve": it also passes the KServe v2
    # routes (/v2/..., at the endpoint root and under /score) through to the server byte for byte (Triton).
    protocol: str = AZUREML_PROTOCOL


MANAGED_SERVER = ServerSpec(managed=True)


class EnvironmentKind(Protocol):
    name: str

    def applies(self, env: Environment, base: Optional[BaseImageFacts]) -> bool:
        """Whether this kind handles `env`; `base` is None when the spec alone must decide."""

    def user_context(self, env: Environment) -> Optional[BuildContext]:
        """A user's Docker build to run first; the recipe then builds on top of its result."""

    def recipe(self, env: Environment, base: BaseImageFacts) -> Optional[Recipe]:
        """None when the image runs as it is."""

    def server(self, env: Environment) -> ServerSpec:
        ...
