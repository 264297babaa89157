"""The Kubernetes and Gateway API objects export writes, as typed dataclasses; `manifest()` is the one serializer.

Only the fields localep sets are modelled. Field names are the API's in snake_case (`initial_delay_seconds` is
`initialDelaySeconds`); unset (None) fields are left out, as `kubectl get -o yaml` leaves out empty ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Union


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def manifest(value: Any) -> Any:
    """A typed object -> the plain data `kubectl apply` reads; top-level objects start with apiVersion and kind."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: Dict[str, Any] = {}
        if isinstance(value, ApiObject):
            out["apiVersion"] = value.API_VERSION
            out["kind"] = value.KIND
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if field_value is not None:
                out[_camel(item.name)] = manifest(field_value)
        return out
    if isinstance(value, list):
        return [manifest(item) for item in value]
    if isinstance(value, dict):
        return {key: manifest(item) for key, item in value.items()}
    return value


class ApiObject:
    """A top-level object: it has an apiVersion and a kind, written first."""

    API_VERSION: ClassVar[str]
    KIND: ClassVar[str]


@dataclass(frozen=True)
class ObjectMeta:
    name: Optional[str] = None  # None in pod templates, whose pods get generated names
    labels: Optional[Dict[str, str]] = None
    annotations: Optional[Dict[str, str]] = None


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str


@dataclass(frozen=True)
class ContainerPort:
    container_port: int
    name: str
    protocol: str = "TCP"


@dataclass(frozen=True)
class HTTPGetAction:
    path: str
    port: Union[int, str]


@dataclass(frozen=True)
class Probe:
    http_get: HTTPGetAction
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    success_threshold: int
    failure_threshold: int


@dataclass(frozen=True)
class ResourceRequirements:
    requests: Optional[Dict[str, str]] = None
    limits: Optional[Dict[str, str]] = None


@dataclass(frozen=True)
class VolumeMount:
    name: str
    mount_path: str
    read_only: Optional[bool] = None
    sub_path: Optional[str] = None


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: Optional[List[ContainerPort]] = None
    env: Optional[List[EnvVar]] = None
    resources: Optional[ResourceRequirements] = None
    liveness_probe: Optional[Probe] = None
    readiness_probe: Optional[Probe] = None
    command: Optional[List[str]] = None
    volume_mounts: Optional[List[VolumeMount]] = None


@dataclass(frozen=True)
class PersistentVolumeClaimVolumeSource:
    claim_name: str
    read_only: Optional[bool] = None


@dataclass(frozen=True)
class Volume:
    name: str
    persistent_volume_claim: PersistentVolumeClaimVolumeSource


@dataclass(frozen=True)
class PodSpec:
    containers: List[Container]
    volumes: Optional[List[Volume]] = None
    restart_policy: Optional[str] = None


@dataclass(frozen=True)
class PodTemplateSpec:
    metadata: ObjectMeta
    spec: PodSpec


@dataclass(frozen=True)
class LabelSelector:
    match_labels: Dict[str, str]


@dataclass(frozen=True)
class DeploymentSpec:
    replicas: int
    selector: LabelSelector
    template: PodTemplateSpec


@dataclass(frozen=True)
class Deployment(ApiObject):
    API_VERSION: ClassVar[str] = "apps/v1"
    KIND: ClassVar[str] = "Deployment"
    metadata: ObjectMeta
    spec: DeploymentSpec


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class ServiceSpec:
    selector: Dict[str, str]
    ports: List[ServicePort]
    type: str = "ClusterIP"


@dataclass(frozen=True)
class Service(ApiObject):
    API_VERSION: ClassVar[str] = "v1"
    KIND: ClassVar[str] = "Service"
    metadata: ObjectMeta
    spec: ServiceSpec


@dataclass(frozen=True)
class CrossVersionObjectReference:
    api_version: str
    kind: str
    name: str


@dataclass(frozen=True)
class MetricTarget:
    type: str
    average_utilization: int


@dataclass(frozen=True)
class ResourceMetricSource:
    name: str
    target: MetricTarget


@dataclass(frozen=True)
class MetricSpec:
    type: str
    resource: ResourceMetricSource


@dataclass(frozen=True)
class HorizontalPodAutoscalerSpec:
    scale_target_ref: CrossVersionObjectReference
    min_replicas: int
    max_replicas: int
    metrics: List[MetricSpec]


@dataclass(frozen=True)
class HorizontalPodAutoscaler(ApiObject):
    API_VERSION: ClassVar[str] = "autoscaling/v2"
    KIND: ClassVar[str] = "HorizontalPodAutoscaler"
    metadata: ObjectMeta
    spec: HorizontalPodAutoscalerSpec


@dataclass(frozen=True)
class JobSpec:
    completions: int
    parallelism: int
    completion_mode: str
    template: PodTemplateSpec
    backoff_limit: Optional[int] = None


@dataclass(frozen=True)
class Job(ApiObject):
    API_VERSION: ClassVar[str] = "batch/v1"
    KIND: ClassVar[str] = "Job"
    metadata: ObjectMeta
    spec: JobSpec


@dataclass(frozen=True)
class VolumeResourceRequirements:
    requests: Dict[str, str]


@dataclass(frozen=True)
class PersistentVolumeClaimSpec:
    access_modes: List[str]
    resources: VolumeResourceRequirements


@dataclass(frozen=True)
class PersistentVolumeClaim(ApiObject):
    API_VERSION: ClassVar[str] = "v1"
    KIND: ClassVar[str] = "PersistentVolumeClaim"
    metadata: ObjectMeta
    spec: PersistentVolumeClaimSpec


# Gateway API (gateway.networking.k8s.io/v1)

@dataclass(frozen=True)
class ParentReference:
    name: str
    namespace: Optional[str] = None


@dataclass(frozen=True)
class HTTPPathMatch:
    type: str
    value: str


@dataclass(frozen=True)
class HTTPHeaderMatch:
    name: str
    value: str
    type: str = "Exact"


@dataclass(frozen=True)
class HTTPRouteMatch:
    path: HTTPPathMatch
    headers: Optional[List[HTTPHeaderMatch]] = None


@dataclass(frozen=True)
class BackendObjectReference:
    name: str
    port: int


@dataclass(frozen=True)
class HTTPBackendRef:
    name: str
    port: int
    weight: Optional[int] = None


@dataclass(frozen=True)
class HTTPRequestMirrorFilter:
    backend_ref: BackendObjectReference
    percent: int


@dataclass(frozen=True)
class HTTPRouteFilter:
    type: str
    request_mirror: Optional[HTTPRequestMirrorFilter] = None


@dataclass(frozen=True)
class HTTPRouteTimeouts:
    request: str


@dataclass(frozen=True)
class HTTPRouteRule:
    matches: List[HTTPRouteMatch]
    backend_refs: List[HTTPBackendRef]
    filters: Optional[List[HTTPRouteFilter]] = None
    timeouts: Optional[HTTPRouteTimeouts] = None


@dataclass(frozen=True)
class HTTPRouteSpec:
    parent_refs: List[ParentReference]
    rules: List[HTTPRouteRule]


@dataclass(frozen=True)
class HTTPRoute(ApiObject):
    API_VERSION: ClassVar[str] = "gateway.networking.k8s.io/v1"
    KIND: ClassVar[str] = "HTTPRoute"
    metadata: ObjectMeta
    spec: HTTPRouteSpec


TopLevel = Union[Deployment, Service, HorizontalPodAutoscaler, Job, PersistentVolumeClaim, HTTPRoute]
