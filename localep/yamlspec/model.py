"""Typed view of Azure ML endpoint and deployment YAML; every path is already absolute.

`source` on each object is where it was declared, so later layers (build, runtime, validate)
can point users at the right file and line without re-reading the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Tuple

from localep.errors import Location
from localep.protocol import KEY_AUTH
from localep.yamlspec.datacollector import DataCollector


def locate(file: Path, lines: Dict[str, int], dotted_key: str) -> Location:
    """Where `dotted_key` (e.g. "environment.conda_file") was written, falling back to its parents."""
    key = dotted_key
    while key and key not in lines:
        key = key.rpartition(".")[0]
    return Location(file, lines.get(key))


@dataclass(frozen=True)
class Route:
    port: int
    path: str


@dataclass(frozen=True)
class InferenceConfig:
    liveness_route: Route
    readiness_route: Route
    scoring_route: Route


@dataclass(frozen=True)
class BuildContext:
    path: Path
    dockerfile_path: str = "Dockerfile"


@dataclass(frozen=True)
class GeneratedServer:
    """The server the cloud runs for a no-code model whose image brings its own server (Triton): the command that
    starts it, the wire protocol the endpoint speaks to it, and how a user gets the image when it is missing."""

    command: Tuple[str, ...]
    protocol: str
    image_help: str


@dataclass(frozen=True)
class Environment:
    """Inline environment; `reference` is set instead for `azureml:` environments not in the local registry.

    `generated_for` names the no-code model type ("mlflow_model", "triton_model") the environment was made for
    when the deployment has none of its own.
    """

    image: Optional[str] = None
    conda_file: Optional[Path] = None
    build: Optional[BuildContext] = None
    inference_config: Optional[InferenceConfig] = None
    name: Optional[str] = None
    version: Optional[str] = None
    os_type: str = "linux"
    reference: Optional[str] = None
    source: Optional[Location] = None
    registered_as: Optional[str] = None  # the `azureml:` reference the local registry resolved to this
    generated_for: Optional[str] = None
    generated_server: Optional[GeneratedServer] = None


CUSTOM_MODEL = "custom_model"
MLFLOW_MODEL = "mlflow_model"  # served without code: a generated scoring script in the model's own environment
TRITON_MODEL = "triton_model"  # served without code by Triton Inference Server
MODEL_TYPES = (CUSTOM_MODEL, MLFLOW_MODEL, TRITON_MODEL)


@dataclass(frozen=True)
class Model:
    """Inline model; `reference` is set instead for `azureml:` models not in the local registry."""

    name: Optional[str] = None
    version: Optional[str] = None
    path: Optional[Path] = None
    type: str = CUSTOM_MODEL
    reference: Optional[str] = None
    source: Optional[Location] = None
    registered_as: Optional[str] = None  # the `azureml:` reference the local registry resolved to this

    @property
    def mount_name(self) -> str:
        return self.name or "model"

    @property
    def mount_version(self) -> str:
        return str(self.version or "1")


@dataclass(frozen=True)
class CodeConfiguration:
    """`reference` is set for `code: azureml:...` (not runnable locally); `code` is then the YAML's folder."""

    code: Path
    scoring_script: str
    source: Optional[Location] = None
    reference: Optional[str] = None

    @property
    def script_path(self) -> Path:
        return self.code / self.scoring_script


@dataclass(frozen=True)
class RequestSettings:
    request_timeout_ms: int = 5000
    max_concurrent_requests_per_instance: int = 1
    max_queue_wait_ms: int = 500


@dataclass(frozen=True)
class Probe:
    initial_delay: int = 10
    period: int = 10
    timeout: int = 2
    success_threshold: int = 1
    failure_threshold: int = 30


@dataclass(frozen=True)
class ScaleSettings:
    """`scale_settings` (Kubernetes deployments): `default` keeps instance_count; `target_utilization` scales between
    min and max instances on CPU use (defaults where the YAML is silent are localep's: 1, 1, 1 s, 70 %)."""

    type: str = "default"
    min_instances: int = 1
    max_instances: int = 1
    polling_interval: int = 1
    target_utilization_percentage: int = 70


@dataclass(frozen=True)
class ResourceLimits:
    """Kubernetes `resources.limits` / `requests`: cpu in cores, memory in bytes."""

    cpu: Optional[float] = None
    memory: Optional[int] = None
    gpu: Optional[int] = None


@dataclass(frozen=True)
class Deployment:
    name: str
    endpoint_name: str
    file: Path
    kind: str  # "managed" | "kubernetes"
    model: Optional[Model] = None
    code_configuration: Optional[CodeConfiguration] = None
    environment: Optional[Environment] = None
    environment_variables: Dict[str, str] = field(default_factory=dict)
    instance_type: Optional[str] = None
    instance_count: int = 1
    request_settings: RequestSettings = field(default_factory=RequestSettings)
    liveness_probe: Probe = field(default_factory=Probe)
    readiness_probe: Probe = field(default_factory=Probe)
    resource_requests: ResourceLimits = field(default_factory=ResourceLimits)
    resource_limits: ResourceLimits = field(default_factory=ResourceLimits)
    scale_settings: ScaleSettings = field(default_factory=ScaleSettings)
    model_mount_path: Optional[str] = None
    app_insights_enabled: bool = False
    egress_public_network_access: str = "enabled"  # managed only; "disabled": no route out of the machine
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    data_collector: Optional[DataCollector] = None
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    lines: Dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def location(self, dotted_key: str = "") -> Location:
        return locate(self.file, self.lines, dotted_key)


BATCH_KIND = "batch"  # Deployment.kind is "managed" or "kubernetes"; BatchDeployment.kind is this


class DeploymentAssets(Protocol):
    """What image builds, mounts and local-file checks need, shared by online and batch deployments."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def model(self) -> Optional[Model]: ...

    @property
    def code_configuration(self) -> Optional[CodeConfiguration]: ...

    @property
    def environment(self) -> Optional[Environment]: ...

    def location(self, dotted_key: str = "") -> Location: ...


@dataclass(frozen=True)
class Endpoint:
    name: str
    file: Optional[Path]  # None when synthesised from a deployment's endpoint_name
    auth_mode: str = KEY_AUTH
    traffic: Dict[str, int] = field(default_factory=dict)
    mirror_traffic: Dict[str, int] = field(default_factory=dict)
    compute: Optional[str] = None
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    lines: Dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def location(self, dotted_key: str = "") -> Optional[Location]:
        return None if self.file is None else locate(self.file, self.lines, dotted_key)


@dataclass(frozen=True)
class Project:
    """One endpoint and the deployments the user asked to run on it."""

    endpoint: Endpoint
    deployments: List[Deployment]
