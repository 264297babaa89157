"""The one protocol every environment kind implements (pre-commit's Language, for Azure ML environments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import ClassVar, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

from localep.protocol import AZUREML_PROTOCOL, LIVENESS_PATH, SCORING_PATH
from localep.yamlspec.model import BuildContext, Environment, RequestSettings

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
# The environment's python, wherever it is: a wrapper localep's server layer (server.Dockerfile) puts there.
PYTHON_IN_CONTAINER = "/opt/localep/python"


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
    """How to run and probe the HTTP server in the image, and what localep does around it.

    This base is a server of the image's own (BYOC, Triton): `command` starts it (empty: the image's CMD), nothing is
    added to the image, and a code change restarts its container. InferenceServerSpec is the Azure ML inference
    server. Callers ask the spec (`localep_layer`, `reload_signal`, `argv`, `request_variables`), never which kind
    it is, so a new kind changes nothing outside images/kinds/.
    """

    port: int = AZUREML_SERVER_PORT
    liveness_path: str = LIVENESS_PATH
    scoring_path: str = SCORING_PATH
    readiness_path: str = LIVENESS_PATH
    command: Tuple[str, ...] = ()
    # "azureml": the endpoint serves /score, /swagger.json and liveness; "kserve": it also passes the KServe v2
    # routes (/v2/..., at the endpoint root and under /score) through to the server byte for byte (Triton).
    protocol: str = AZUREML_PROTOCOL
    # The image gets localep's server layer (server.Dockerfile): the environment's python at PYTHON_IN_CONTAINER
    # and the inference server. With that python localep's agent runs the server (the upstream gate, the data
    # collection receiver), debugpy is added for --debug, the batch driver runs and the gateway's venv is made.
    localep_layer: ClassVar[bool] = False
    # What makes the running server load changed code (sent to the container); None: the container is restarted.
    reload_signal: ClassVar[Optional[str]] = None

    def argv(self, env: Mapping[str, str], python_options: Sequence[str] = ()) -> List[str]:
        """What starts the server in a container with variables `env`; `python_options` (debugpy's) are for a
        server localep starts with its python, and a server of the image's own has none."""
        return list(self.command)

    def request_variables(self, settings: RequestSettings) -> Dict[str, str]:
        """The variables through which the server itself reads `request_settings` when no gateway is in front (the
        Kubernetes export); a server of the image's own reads none."""
        return {}


@dataclass(frozen=True)
class InferenceServerSpec(ServerSpec):
    """The Azure ML inference server, installed by localep's server layer and run by localep's agent, which
    reloads it on SIGHUP (a worker swap, or a restart after a broken save)."""

    localep_layer: ClassVar[bool] = True
    reload_signal: ClassVar[Optional[str]] = "SIGHUP"

    def argv(self, env: Mapping[str, str], python_options: Sequence[str] = ()) -> List[str]:
        argv = [PYTHON_IN_CONTAINER, *python_options, "-m", "azureml_inference_server_http", "--port", str(self.port)]
        if "AZUREML_ENTRY_SCRIPT" in env:
            argv += ["--entry_script", str(PurePosixPath(env["AML_APP_ROOT"]) / env["AZUREML_ENTRY_SCRIPT"])]
        return argv

    def request_variables(self, settings: RequestSettings) -> Dict[str, str]:
        """The scoring timeout (SIGALRM, 500 past it) and one sync worker per concurrent request."""
        return {"SCORING_TIMEOUT_MS": str(settings.request_timeout_ms),
                "WORKER_COUNT": str(settings.max_concurrent_requests_per_instance)}


INFERENCE_SERVER = InferenceServerSpec()


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


def inference_server(env: Environment) -> ServerSpec:
    """The Azure ML inference server, run by localep's agent."""
    return INFERENCE_SERVER
