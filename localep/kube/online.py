"""An online endpoint and its deployments -> Deployments, Services, HorizontalPodAutoscalers and one HTTPRoute (pure).

Each deployment's image is its `localep package` image, which already holds code, model, variables and command;
the manifests add what the cloud sets around the container: replicas, CPU and memory, probes, request settings as
the server's variables, and the endpoint's routing (traffic weights, mirror share, the pinning header).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from localep.images.kinds.base import ServerSpec
from localep.kube import objects as k8s
from localep.protocol import DEPLOYMENT_HEADER
from localep.runtime.sizing import sku_container_memory
from localep.yamlspec.model import Deployment, Endpoint, Probe, ResourceLimits
from localep.yamlspec.skus import find_sku

NAME_LIMIT = 63
LABEL_ENDPOINT = "localep.io/endpoint"
LABEL_DEPLOYMENT = "localep.io/deployment"
NOTE_ANNOTATION = "localep.io/not-done-by-a-plain-gateway"
POLLING_ANNOTATION = "localep.io/polling-interval"
GATEWAY_NOTE = (
    "A plain Gateway does not check keys (auth_mode), does not answer the cloud's 408 (a request past "
    "request_timeout_ms gets the Gateway's own timeout answer, usually 504), passes the model's own non-200 answers "
    "through instead of the cloud's 424, and does not answer 429 past 2 x max_concurrent_requests_per_instance x "
    "instances. See localep's README (Beyond one machine) for how to keep them."
)
SERVICE_PORT_NAME = "http"
GPU_RESOURCE = "nvidia.com/gpu"


@dataclass(frozen=True)
class PackagedDeployment:
    """A deployment with the image that serves it and that image's server (port and probe paths)."""

    deployment: Deployment
    image: str
    server: ServerSpec


def object_name(*parts: str) -> str:
    """A DNS-1035 label (Service names are): lower case, at most 63 characters (long names keep a hash suffix)."""
    name = re.sub(r"[^a-z0-9-]", "-", "-".join(parts).lower()).strip("-")
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:NAME_LIMIT - 9].rstrip('-')}-{digest}"


def selector_labels(deployment: Deployment) -> Dict[str, str]:
    return {LABEL_ENDPOINT: deployment.endpoint_name, LABEL_DEPLOYMENT: deployment.name}


def cpu_quantity(cores: float) -> str:
    return str(int(cores)) if float(cores).is_integer() else f"{math.ceil(cores * 1000)}m"


def memory_quantity(size: int) -> str:
    """Whole GiB or MiB; a size in between is rounded down to the MiB (a limit never grows in the writing)."""
    if size % 1024**3 == 0:
        return f"{size // 1024**3}Gi"
    if size >= 1024**2:
        return f"{size // 1024**2}Mi"
    return str(size)


def _quantities(limits: ResourceLimits) -> Optional[Dict[str, str]]:
    values: Dict[str, str] = {}
    if limits.cpu:
        values["cpu"] = cpu_quantity(limits.cpu)
    if limits.memory:
        values["memory"] = memory_quantity(limits.memory)
    if limits.gpu:
        values[GPU_RESOURCE] = str(limits.gpu)
    return values or None


def resources(deployment: Deployment) -> Optional[k8s.ResourceRequirements]:
    """`resources` as written (Kubernetes deployments), else what `localep up` gives a managed SKU's container (all
    its vCPUs, the memory a node of that size leaves allocatable) and its GPUs, as both request and limit (a partial
    GPU, as the A10 partitions are, needs a whole one here)."""
    requests, limits = _quantities(deployment.resource_requests), _quantities(deployment.resource_limits)
    if requests or limits:
        return k8s.ResourceRequirements(requests=requests or limits, limits=limits)
    sku = find_sku(deployment.instance_type) if deployment.instance_type else None
    if sku is None:
        return None
    sized = {"cpu": cpu_quantity(sku.vcpus), "memory": memory_quantity(sku_container_memory(sku))}
    if sku.gpus:
        sized[GPU_RESOURCE] = str(math.ceil(sku.gpus))
    return k8s.ResourceRequirements(requests=dict(sized), limits=dict(sized))


def probe(settings: Probe, path: str, port: int, liveness: bool) -> k8s.Probe:
    """The YAML's probe settings; Kubernetes requires a liveness successThreshold of 1."""
    return k8s.Probe(
        http_get=k8s.HTTPGetAction(path=path or "/", port=port),
        initial_delay_seconds=settings.initial_delay,
        period_seconds=settings.period,
        timeout_seconds=settings.timeout,
        success_threshold=1 if liveness else settings.success_threshold,
        failure_threshold=settings.failure_threshold,
    )


def server_variables(packaged: PackagedDeployment) -> List[k8s.EnvVar]:
    """environment_variables, and the server's own reading of request_settings (the Azure ML inference server's:
    ServerSpec.request_variables)."""
    deployment = packaged.deployment
    env = dict(deployment.environment_variables)
    env.update(packaged.server.request_variables(deployment.request_settings))
    return [k8s.EnvVar(name=name, value=value) for name, value in sorted(env.items())]


def deployment_objects(packaged: PackagedDeployment) -> List[k8s.TopLevel]:
    deployment, server = packaged.deployment, packaged.server
    name = object_name(deployment.endpoint_name, deployment.name)
    labels = selector_labels(deployment)
    container = k8s.Container(
        name="inference-server",
        image=packaged.image,
        ports=[k8s.ContainerPort(container_port=server.port, name=SERVICE_PORT_NAME)],
        env=server_variables(packaged) or None,
        resources=resources(deployment),
        liveness_probe=probe(deployment.liveness_probe, server.liveness_path, server.port, liveness=True),
        readiness_probe=probe(deployment.readiness_probe, server.readiness_path, server.port, liveness=False),
    )
    template = k8s.PodTemplateSpec(metadata=k8s.ObjectMeta(labels=labels),
                                   spec=k8s.PodSpec(containers=[container]))
    found: List[k8s.TopLevel] = [
        k8s.Deployment(
            metadata=k8s.ObjectMeta(name=name, labels=labels),
            spec=k8s.DeploymentSpec(replicas=deployment.instance_count,
                                    selector=k8s.LabelSelector(match_labels=labels), template=template),
        ),
        k8s.Service(
            metadata=k8s.ObjectMeta(name=name, labels=labels),
            spec=k8s.ServiceSpec(selector=labels, ports=[
                k8s.ServicePort(name=SERVICE_PORT_NAME, port=server.port, target_port=server.port)]),
        ),
    ]
    autoscaler = horizontal_autoscaler(deployment, name, labels)
    if autoscaler is not None:
        found.append(autoscaler)
    return found


def horizontal_autoscaler(deployment: Deployment, name: str, labels: Dict[str, str]
                          ) -> Optional[k8s.HorizontalPodAutoscaler]:
    """`scale_settings: target_utilization` as CPU utilisation; the polling interval is the cluster's HPA sync
    period, not a per-object field, so it is recorded as an annotation."""
    scale = deployment.scale_settings
    if scale.type != "target_utilization":
        return None
    return k8s.HorizontalPodAutoscaler(
        metadata=k8s.ObjectMeta(name=name, labels=labels,
                                annotations={POLLING_ANNOTATION: f"{scale.polling_interval}s"}),
        spec=k8s.HorizontalPodAutoscalerSpec(
            scale_target_ref=k8s.CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name=name),
            min_replicas=scale.min_instances,
            max_replicas=scale.max_instances,
            metrics=[k8s.MetricSpec(type="Resource", resource=k8s.ResourceMetricSource(
                name="cpu", target=k8s.MetricTarget(type="Utilization",
                                                    average_utilization=scale.target_utilization_percentage)))],
        ),
    )


def gateway_duration(milliseconds: int) -> str:
    """A Gateway API Duration (at most 5 digits per unit)."""
    if milliseconds % 1000 == 0 or milliseconds > 99999:
        return f"{math.ceil(milliseconds / 1000)}s"
    return f"{milliseconds}ms"


def _backend(packaged: PackagedDeployment, weight: Optional[int] = None) -> k8s.HTTPBackendRef:
    deployment = packaged.deployment
    return k8s.HTTPBackendRef(name=object_name(deployment.endpoint_name, deployment.name), port=packaged.server.port,
                              weight=weight)


def _timeout(group: List[PackagedDeployment]) -> k8s.HTTPRouteTimeouts:
    return k8s.HTTPRouteTimeouts(request=gateway_duration(
        max(p.deployment.request_settings.request_timeout_ms for p in group)))


def http_route(endpoint: Endpoint, packaged: List[PackagedDeployment], gateway: k8s.ParentReference) -> k8s.HTTPRoute:
    """One rule per deployment for the pinning header (any deployment, whatever its weight, as in the cloud), and
    one weighted rule for everything else, mirroring a share to the mirror deployment. With no positive weight
    there is no weighted rule, so unpinned requests get the Gateway's 404, as the cloud answers."""
    everything = k8s.HTTPRouteMatch(path=k8s.HTTPPathMatch(type="PathPrefix", value="/"))
    rules = [
        k8s.HTTPRouteRule(
            matches=[k8s.HTTPRouteMatch(path=everything.path,
                                        headers=[k8s.HTTPHeaderMatch(name=DEPLOYMENT_HEADER, value=p.deployment.name)])],
            backend_refs=[_backend(p)],
            timeouts=_timeout([p]),
        )
        for p in packaged
    ]
    weighted = [p for p in packaged if endpoint.traffic.get(p.deployment.name, 0) > 0]
    if weighted:
        rules.append(k8s.HTTPRouteRule(
            matches=[everything],
            backend_refs=[_backend(p, endpoint.traffic[p.deployment.name]) for p in weighted],
            filters=_mirror_filters(endpoint, packaged),
            timeouts=_timeout(weighted),
        ))
    return k8s.HTTPRoute(
        metadata=k8s.ObjectMeta(name=object_name(endpoint.name), labels={LABEL_ENDPOINT: endpoint.name},
                                annotations={NOTE_ANNOTATION: GATEWAY_NOTE}),
        spec=k8s.HTTPRouteSpec(parent_refs=[gateway], rules=rules),
    )


def _mirror_filters(endpoint: Endpoint, packaged: List[PackagedDeployment]) -> Optional[List[k8s.HTTPRouteFilter]]:
    filters = [
        k8s.HTTPRouteFilter(type="RequestMirror", request_mirror=k8s.HTTPRequestMirrorFilter(
            backend_ref=k8s.BackendObjectReference(name=ref.name, port=ref.port), percent=share))
        for p in packaged
        for share in [endpoint.mirror_traffic.get(p.deployment.name, 0)] if share > 0
        for ref in [_backend(p)]
    ]
    return filters or None


def endpoint_objects(endpoint: Endpoint, packaged: List[PackagedDeployment], gateway: k8s.ParentReference
                     ) -> List[k8s.TopLevel]:
    found: List[k8s.TopLevel] = []
    for item in packaged:
        found += deployment_objects(item)
    found.append(http_route(endpoint, packaged, gateway))
    return found
