"""The one protocol every environment kind implements (pre-commit's Language, for Azure ML environments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Tuple

from localep.protocol import AZUREML_PROTOCOL, LIVENESS_PATH, SCORING_PATH
from localep.yamlspec.model import BuildContext, Environment

AZUREML_SERVER_PORT = 5001


@dataclass(frozen=True)
class BaseImageFacts:
    """What a base image offers, learned once by running it."""

    image: str
    image_id: str
    conda: Optional[str] = None
    python_version: Optional[str] = None


ENVIRONMENT_PREFIX = "/azureml-envs/localep"
ENVIRONMENT_PYTHON = ENVIRONMENT_PREFIX + "/bin/python"


@dataclass(frozen=True)
class PackageLayer:
    """Packages installed in a container with localep's package cache mounted, then committed as one image layer.

    A layer is rebuilt only when it or a layer below it changes, so the inference server (its own layer) is not
    reinstalled when only the rest of the pip section changes. What runs is planned by localep.images.layers with
    the chosen installer (uv or pip); a kind only says what goes in.
    """

    name: str
    requirements: Tuple[str, ...] = ()
    create_venv: bool = False  # a venv at ENVIRONMENT_PREFIX made with the image's own python first
    conda: Optional[str] = None  # with conda_file: `conda env create` at ENVIRONMENT_PREFIX first
    conda_file: Optional[bytes] = None
    python: str = ENVIRONMENT_PYTHON


@dataclass(frozen=True)
class Recipe:
    """A Dockerfile body (after localep's header) and the files it COPYs from `localep/`.

    `layers` (optional) are installed before the Dockerfile body runs, with the shared package cache.
    """

    body: str
    files: Dict[str, bytes] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    layers: Tuple[PackageLayer, ...] = ()


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
    """A module per kind; what a kind does not need it takes from the defaults below by assignment
    (`user_context = no_user_context`), as pre-commit's languages take theirs from lang_base."""

    name: str

    def applies(self, env: Environment, base: Optional[BaseImageFacts]) -> bool:
        """Whether this kind handles `env`; `base` is None when the spec alone must decide."""

    def user_context(self, env: Environment) -> Optional[BuildContext]:
        """A user's Docker build to run first; the recipe then builds on top of its result."""

    def recipe(self, env: Environment, base: BaseImageFacts) -> Optional[Recipe]:
        """None when the image runs as it is."""

    def server(self, env: Environment) -> ServerSpec:
        ...


# -- Defaults for the protocol's functions ------------------------------------------------------------------------


def no_user_context(env: Environment) -> Optional[BuildContext]:
    """No Docker build of the user's own before localep's recipe."""
    return None


def no_recipe(env: Environment, base: BaseImageFacts) -> Optional[Recipe]:
    """The image runs as it is: localep builds nothing (BYOC, Triton)."""
    return None


def no_body(env: Environment, base: BaseImageFacts) -> Optional[Recipe]:
    """Nothing of the kind's own: only the server layer, when the image lacks the inference server."""
    return Recipe(body="")


def managed_server(env: Environment) -> ServerSpec:
    """The Azure ML inference server, run by localep's agent."""
    return MANAGED_SERVER
