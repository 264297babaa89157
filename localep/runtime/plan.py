"""Deployment + image -> the exact container to run, as plain data (pure, so it is unit-tested without Docker).

Paths and variables follow Azure ML's inference images, so scoring scripts written for the cloud run unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

from localep import __version__
from localep.datacollect.plan import collection_folders, container_collection
from localep.images.kinds.base import PYTHON_IN_CONTAINER, ServerSpec
from localep.runtime import labels
from localep.runtime.agent.hints import NO_EGRESS_VARIABLE
from localep.runtime.sizing import ContainerSize
from localep.yamlspec.model import CodeConfiguration, Deployment, Model

APP_ROOT = PurePosixPath("/var/azureml-app")
MODELS_ROOT = APP_ROOT / "azureml-models"
AGENT_FOLDER_IN_CONTAINER = PurePosixPath("/opt/localep")
AGENT_IN_CONTAINER = str(AGENT_FOLDER_IN_CONTAINER / "agent.py")
_AGENT_FOLDER = Path(__file__).resolve().parent / "agent"
# The agent and the stdlib-only modules it imports from beside itself (no localep package in the container), and
# the gunicorn configuration that makes the server answer only requests carrying the endpoint's secret.
AGENT_FILES_ON_HOST = (
    _AGENT_FOLDER / "agent.py",
    _AGENT_FOLDER / "agentstatus.py",
    _AGENT_FOLDER / "tracebacks.py",
    _AGENT_FOLDER / "hints.py",
    _AGENT_FOLDER / "noegress.py",
    _AGENT_FOLDER / "gunicorn_gate.py",
    _AGENT_FOLDER / "debug_relay.py",
    Path(__file__).resolve().parents[1] / "processes.py",
)
GATE_IN_CONTAINER = str(AGENT_FOLDER_IN_CONTAINER / "gunicorn_gate.py")
UPSTREAM_SECRET_ENV = "LOCALEP_UPSTREAM_SECRET"
DEBUG_TIMEOUT_MS = 24 * 3600 * 1000
SCORING_TIMEOUT_GRACE_MS = 1000
# Azure's GPU virtual machines are the N series: NC, ND and NV (e.g. Standard_NC4as_T4_v3, Triton's sample SKU).
GPU_INSTANCE_TYPE = re.compile(r"^standard_n[cdv]", re.IGNORECASE)
ALL_GPUS = -1


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class DebugOptions:
    port: int = 5678
    wait_for_client: bool = False


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    image: str
    command: List[str]
    environment: Dict[str, str]
    mounts: List[Mount]
    ports: Dict[str, Tuple[str, Optional[int]]]
    labels: Dict[str, str]
    server: ServerSpec
    nano_cpus: Optional[int] = None
    mem_limit: Optional[int] = None
    user: Optional[str] = None  # "uid:gid" to run as; None keeps the image's user
    remote_code_dir: Optional[str] = None
    extra: Dict[str, str] = field(default_factory=dict)
    gpus: int = 0  # Docker device request count; ALL_GPUS for every GPU, 0 for none
    network: Optional[str] = None  # None: Docker's default bridge
    cap_add: List[str] = field(default_factory=list)


def requested_gpus(deployment: Deployment) -> int:
    """GPUs the deployment asks for: `resources` (Kubernetes) by number, a GPU instance_type (managed) as all of
    the machine's; 0 for CPU deployments."""
    for resources in (deployment.resource_limits, deployment.resource_requests):
        if resources.gpu:
            return resources.gpu
    if deployment.instance_type and GPU_INSTANCE_TYPE.match(deployment.instance_type):
        return ALL_GPUS
    return 0


def container_name(endpoint: str, deployment: str, instance: int = 0) -> str:
    base = f"localep-{endpoint}-{deployment}"
    return base if instance == 0 else f"{base}-{instance + 1}"


def safe_segment(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", value)


def code_mount(code: CodeConfiguration) -> Mount:
    """The code folder, read-only under /var/azureml-app/<folder name>, as the cloud places it."""
    return Mount(code.code, str(APP_ROOT / code.code.name))


def model_mount(model: Model, mount_path: Optional[str] = None) -> Tuple[str, Mount]:
    """AZUREML_MODEL_DIR and the model's mount: the model folder sits one level below that directory."""
    assert model.path is not None
    model_dir = mount_path or str(MODELS_ROOT / safe_segment(model.mount_name) / model.mount_version)
    return model_dir, Mount(model.path, str(PurePosixPath(model_dir) / model.path.name))


def plan_container(
    deployment: Deployment,
    image: str,
    server: ServerSpec,
    host_port: Optional[int],
    instance: int = 0,
    debug: Optional[DebugOptions] = None,
    keep_alive: bool = False,
    engine_has_gpu: bool = False,
    size: Optional[ContainerSize] = None,
    no_egress_network: Optional[str] = None,
    upstream_secret: str = "",
) -> ContainerPlan:
    """`engine_has_gpu`: GPU requests become Docker device requests only on an engine that can honour them;
    `size` is the container's CPU and memory (runtime/sizing.py), none when not given; `no_egress_network` is the
    internal network a deployment with egress_public_network_access: disabled runs on (no published port there).
    `host_port` None publishes nothing (the gateway reaches the container on its own address); `upstream_secret`
    is what the container then demands of every request (servers under localep's agent only)."""
    env: Dict[str, str] = {"PYTHONUNBUFFERED": "1"}
    mounts: List[Mount] = []
    remote_code_dir = None
    code = deployment.code_configuration
    if code is not None:
        code_in_container = code_mount(code)
        remote_code_dir = code_in_container.target
        script = PurePosixPath(code.scoring_script)
        mounts.append(code_in_container)
        env["AML_APP_ROOT"] = str(PurePosixPath(remote_code_dir) / script.parent)
        env["AZUREML_ENTRY_SCRIPT"] = script.name
    model = deployment.model
    if model is not None and model.path is not None:
        model_dir, model_in_container = model_mount(model, deployment.model_mount_path)
        mounts.append(model_in_container)
        env["AZUREML_MODEL_DIR"] = model_dir
    # The endpoint answers 408 at request_timeout_ms; the server's own alarm, a moment later, frees the worker
    # (were it first, its 500 would reach the client as a 424 instead of the cloud's 408).
    env["SCORING_TIMEOUT_MS"] = str(deployment.request_settings.request_timeout_ms + SCORING_TIMEOUT_GRACE_MS)
    if debug is not None:
        # A breakpoint pauses run(): neither gunicorn's heartbeat nor the server's SIGALRM may end the request.
        env["WORKER_TIMEOUT"] = "0"
        env["SCORING_TIMEOUT_MS"] = str(DEBUG_TIMEOUT_MS)
    env.update(deployment.environment_variables)

    # Published only where the host cannot reach the container's own address; an internal network publishes nothing.
    ports: Dict[str, Tuple[str, Optional[int]]] = {} if no_egress_network or host_port is None else {
        f"{server.port}/tcp": ("127.0.0.1", host_port)}
    env.update({NO_EGRESS_VARIABLE: "1"} if no_egress_network else {})
    command: List[str] = []
    if server.localep_layer:
        command = _agent_command(deployment, instance, server, keep_alive, upstream_secret, env, mounts)
    command += server.argv(env, debugpy_options(debug))

    container_labels = {
        labels.MANAGED: "true",
        labels.ENDPOINT: deployment.endpoint_name,
        labels.DEPLOYMENT: deployment.name,
        labels.INSTANCE: str(instance),
        # Absolute, so `ps --json` readers (the VS Code extension) need not know the folder `up` ran in.
        labels.SPEC_FILE: str(deployment.file.resolve()),
        labels.SCORING_PATH: server.scoring_path,
        labels.LIVENESS_PATH: server.liveness_path,
        labels.SERVER_PORT: str(server.port),
        labels.AGENT: "true" if server.localep_layer else "false",
        labels.VERSION: __version__,
    }
    if code is not None and remote_code_dir is not None:
        container_labels[labels.CODE_DIR] = str(code.code.resolve())
        container_labels[labels.REMOTE_CODE_DIR] = remote_code_dir
    if debug is not None:
        container_labels[labels.DEBUG_PORT] = str(debug.port)
    size = size or ContainerSize()
    container_labels.update(size_labels(deployment, size))
    container_labels.update(collection_labels(deployment))
    return ContainerPlan(
        name=container_name(deployment.endpoint_name, deployment.name, instance),
        image=image,
        command=command,
        environment=env,
        mounts=mounts,
        ports=ports,
        labels=container_labels,
        server=server,
        nano_cpus=size.nano_cpus,
        mem_limit=size.mem_limit,
        remote_code_dir=remote_code_dir,
        gpus=requested_gpus(deployment) if engine_has_gpu else 0,
        network=no_egress_network,
        # for the agent to remove the default route; it drops the capability before the server starts
        cap_add=["NET_ADMIN"] if no_egress_network is not None else [],
    )


def _agent_command(deployment: Deployment, instance: int, server: ServerSpec, keep_alive: bool, upstream_secret: str,
                   env: Dict[str, str], mounts: List[Mount]) -> List[str]:
    """localep's agent, up to the `--` after which the server's argv follows; it adds the agent's files (and the
    data collection receiver's) to `mounts` and the upstream gate's variables to `env`."""
    mounts += [Mount(path, str(AGENT_FOLDER_IN_CONTAINER / path.name)) for path in AGENT_FILES_ON_HOST]
    env.update(gate_environment(env, upstream_secret))
    command = [PYTHON_IN_CONTAINER, AGENT_IN_CONTAINER, "--port", str(server.port)]
    if keep_alive:
        command.append("--keep-alive")
    command += _data_collection(deployment, container_name(deployment.endpoint_name, deployment.name, instance),
                                env, mounts)
    return [*command, "--"]


def size_labels(deployment: Deployment, size: ContainerSize) -> Dict[str, str]:
    """The SKU whose CPU and memory the container got, for `ps`."""
    if size.sku is None:
        return {}
    return {labels.INSTANCE_TYPE: deployment.instance_type or size.sku.display_name}


def collection_labels(deployment: Deployment) -> Dict[str, str]:
    """Where each enabled collection goes, for `ps --json`."""
    folders = collection_folders(deployment)
    if not folders:
        return {}
    return {labels.DATA_COLLECTION: json.dumps({name: str(path) for name, path in folders.items()})}


def _data_collection(deployment: Deployment, writer: str, env: Dict[str, str], mounts: List[Mount]) -> List[str]:
    """The receiver's agent option, its code and folders, and the variables azureml-ai-monitoring reads."""
    collection = container_collection(deployment, writer)
    if collection is None:
        return []
    mounts += [Mount(source, target) for source, target in collection.code_files]
    mounts += [Mount(source, target, read_only=False) for source, target in collection.folders]
    env.update(collection.environment)
    return ["--collect", collection.receiver_settings]


def gate_environment(env: Dict[str, str], secret: str) -> Dict[str, str]:
    """With a secret, the server answers only requests that carry it (agent/gunicorn_gate.py, added to the user's
    own GUNICORN_CMD_ARGS); the secret travels in the environment, never on a command line `ps` shows."""
    if not secret:
        return {}
    return {UPSTREAM_SECRET_ENV: secret,
            "GUNICORN_CMD_ARGS": " ".join(filter(None, [f"--config {GATE_IN_CONTAINER}", env.get("GUNICORN_CMD_ARGS")]))}


def debug_relay_command(port: int) -> List[str]:
    """What `docker exec` runs in a debugged container for each debugger connection: a relay to debugpy."""
    return [PYTHON_IN_CONTAINER, str(AGENT_FOLDER_IN_CONTAINER / "debug_relay.py"), str(port)]


def debugpy_options(debug: Optional[DebugOptions]) -> List[str]:
    """python's options that start the server under debugpy (none without `debug`), listening on the container's
    loopback only: the owner reaches it through the gateway's bridges (debug_relay_command)."""
    if debug is None:
        return []
    options = ["-m", "debugpy", "--listen", f"127.0.0.1:{debug.port}"]
    if debug.wait_for_client:
        options.append("--wait-for-client")
    return options
