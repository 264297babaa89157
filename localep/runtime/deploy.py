"""spec -> build -> containers -> ready -> gateway: what `up` does, without any CLI concerns.

An endpoint is a gateway (a detached host process on the endpoint's stable port) in front of one or more
deployments, each with `instance_count` containers on their own loopback ports. `up` of a deployment whose
endpoint already runs attaches it to that gateway and leaves the other deployments alone.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import docker
from docker.models.containers import Container

from localep.datacollect.plan import prepare_collection
from localep.errors import BuildError, LocalepError, PortInUse
from localep.gateway.config import DEFAULT_MAX_BODY_BYTES
from localep.images.gatewayimage import ensure_gateway_image
from localep.images.images import BuiltImage, debug_image, ensure_image
from localep.images.inventory import prune_reminder
from localep.images.layerbuild import BUILDS_CANCELLED
from localep.images.settings import BuildSettings
from localep.images.usage import read_index
from localep.progress import Reporter, Stopwatch
from localep.protocol import SCORING_PATH
from localep.runtime import containers
from localep.runtime.egress import egress_disabled, ensure_no_egress_network
from localep.runtime.gateway_link import (
    ContainerLaunch,
    GatewayHandle,
    attach_deployments,
    autoscale_of,
    detach_deployment,
    running_gateway,
    start_endpoint_gateway,
    stop_endpoint_gateway,
)
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.plan import ContainerPlan, DebugOptions, plan_container, requested_gpus
from localep.runtime.ports import endpoint_port, free_port, is_free, port_holder
from localep.runtime.readiness import readiness_deadline, wait_until_ready
from localep.runtime.secret import upstream_credential, upstream_secret
from localep.runtime.sizing import ContainerSize, describe_size, machine_of, size_for
from localep.yamlspec.emulation import ONLINE_DEPLOYMENT, ONLINE_ENDPOINT, files_notice
from localep.yamlspec.model import Deployment, Project


@dataclass(frozen=True)
class UpOptions:
    build: BuildSettings
    port: Optional[int] = None
    debug: Optional[DebugOptions] = None
    keep_alive: bool = False
    ready_timeout: Optional[float] = None
    auth: bool = True
    raw_errors: bool = False
    record_path: Optional[str] = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


@dataclass
class RunningInstance:
    deployment: Deployment
    plan: ContainerPlan
    container: Container
    image: BuiltImage
    # Where the gateway reaches it: the container's own address when the host can route to it (Linux bridge
    # networks: nothing is published); otherwise (Docker Desktop, a parked instance) a port published on 127.0.0.1.
    upstream_url: str
    ready_seconds: float = 0.0
    parked: bool = False  # created but not started: the gateway's autoscaler starts it when needed


@dataclass
class RunningEndpoint:
    name: str
    port: int
    instances: List[RunningInstance] = field(default_factory=list)

    @property
    def scoring_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{SCORING_PATH}"

    def of(self, deployment: str) -> List[RunningInstance]:
        return [i for i in self.instances if i.deployment.name == deployment]


def build_images(client: docker.DockerClient, project: Project, options: UpOptions, reporter: Reporter) -> List[BuiltImage]:
    """Independent deployments build side by side when there are cores to spare; the same environment builds once."""
    workers = build_workers(len(project.deployments), os.cpu_count() or 1)
    if workers == 1:
        images = [ensure_image(client, d, options.build, reporter) for d in project.deployments]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localep-build") as pool:
            futures = [pool.submit(ensure_image, client, d, options.build, reporter.prefixed(d.name))
                       for d in project.deployments]
            try:
                images = [future.result() for future in futures]
            except BaseException:
                # Ctrl-C or a failed build: the other builds stop at their next line of output and clean up.
                BUILDS_CANCELLED.set()
                for future in futures:
                    future.cancel()
                wait(futures)
                BUILDS_CANCELLED.clear()
                raise
    for image in images:
        if image.cached:
            for warning in image.warnings:
                reporter.warn(warning)
    if not all(image.cached for image in images):
        reminder = prune_reminder(client, read_index())
        if reminder:
            reporter.warn(reminder)
    return images


def build_workers(deployments: int, cores: int) -> int:
    """One build per two cores (a build keeps about two busy: the installer plus the engine), at least one."""
    return max(1, min(deployments, cores // 2))


def deploy(
    client: docker.DockerClient, project: Project, options: UpOptions, reporter: Reporter, owned: Lifecycle
) -> RunningEndpoint:
    """Start every deployment of `project` owned by `owned` (removed when its command ends, unless kept) and wait until ready."""
    if not project.deployments:
        raise LocalepError(f"nothing to run: give at least one deployment file for endpoint {project.endpoint.name}")
    watch = Stopwatch()
    fields = [(ONLINE_ENDPOINT, project.endpoint.lines)] + [(ONLINE_DEPLOYMENT, d.lines) for d in project.deployments]
    for line in files_notice(fields):
        reporter.warn(line)
    images = build_images(client, project, options, reporter)
    endpoint = project.endpoint
    for deployment in project.deployments:
        for old in containers.find(client, endpoint.name, deployment.name):
            containers.remove_quietly(old)
    gateway = running_gateway(endpoint.name)
    port = gateway.port if gateway else endpoint_port(client, endpoint.name, options.port)
    if gateway and options.port and options.port != gateway.port:
        raise LocalepError(f"endpoint {endpoint.name} already runs on port {gateway.port}; "
                           f"`localep down {endpoint.name}` first to move it to {options.port}")
    if gateway is None:
        _check_debug_port(client, options.debug)
    running = RunningEndpoint(name=endpoint.name, port=port)
    for deployment, image in zip(project.deployments, images):
        running.instances += start_instances(client, deployment, image, options, reporter, owned)
    # Undoing this `up` takes its deployments off the gateway; the gateway goes with the last one, even when
    # another `up` attached more deployments meanwhile.
    for deployment in project.deployments:
        owned.defer(functools.partial(detach_deployment, endpoint.name, deployment.name))
    launch = gateway_launch(client, project, images, options, reporter) if gateway is None else None
    _ready_behind_gateway(gateway, launch, project, running, options, reporter)
    reporter.step(f"{endpoint.name} is ready in {watch}: {running.scoring_uri}")
    return running


def _check_debug_port(client: docker.DockerClient, debug: Optional[DebugOptions]) -> None:
    """The gateway's debug bridge will listen on 127.0.0.1:<debug port>: say now, clearly, when it is taken."""
    if debug is not None and not is_free(debug.port):
        raise PortInUse(f"the debug port {debug.port} on 127.0.0.1 is in use by {port_holder(client, debug.port)}; "
                        "choose another with --debug-port")


def _ready_behind_gateway(gateway: Optional[GatewayHandle], launch: Optional[ContainerLaunch], project: Project,
                          running: RunningEndpoint,
                          options: UpOptions, reporter: Reporter) -> None:
    """Wait until every instance answers and put them behind the gateway.

    A new gateway starts while the instances start (a container's start, about half a second, need not wait for
    init()); nobody knows its address before `up` prints it, once both are done. A running gateway gets the new
    deployments only once they answer: it serves live traffic. Under --debug the gateway comes first: its bridges
    are the only way to debugpy, which --wait-for-debugger waits for before the server answers."""
    if options.debug is not None:
        _join_gateway(gateway, launch, project, running, options, reporter)
        _wait_for_all(running, options, reporter)
        return
    if gateway is not None:
        _wait_for_all(running, options, reporter)
        _join_gateway(gateway, launch, project, running, options, reporter)
        return
    # Leaving the block waits for the gateway's start, also when readiness failed or was interrupted, so that the
    # owner's cleanup finds (and removes) everything this `up` started.
    with ThreadPoolExecutor(1, thread_name_prefix="gateway-start") as pool:
        started = pool.submit(_join_gateway, gateway, launch, project, running, options, reporter)
        _wait_for_all(running, options, reporter)
    started.result()


def _wait_for_all(running: RunningEndpoint, options: UpOptions, reporter: Reporter) -> None:
    for instance in running.instances:
        wait_for(instance, options, reporter)


def _join_gateway(gateway: Optional[GatewayHandle], launch: Optional[ContainerLaunch], project: Project,
                  running: RunningEndpoint, options: UpOptions,
                  reporter: Reporter) -> None:
    """Start the endpoint's gateway in front of `running`, or attach its deployments to the one that runs."""
    endpoint = project.endpoint
    if gateway is None:
        start_endpoint_gateway(endpoint, running.port, running.instances, options.auth, options.raw_errors,
                               options.record_path, reporter, options.max_body_bytes, launch)
    else:
        reporter.step(f"attaching {', '.join(d.name for d in project.deployments)} to the running {endpoint.name}")
        attach_deployments(gateway, endpoint, running.instances, reporter)


def gateway_launch(client: docker.DockerClient, project: Project, images: List[BuiltImage], options: UpOptions,
                   reporter: Reporter) -> Optional[ContainerLaunch]:
    """The gateway runs as a container built on the endpoint's first environment image with localep's layer (whose
    python makes the gateway's venv); when none can carry it (BYOC images only, or the gateway's packages cannot be
    installed) it runs as a host process, with a warning.
    So it does on Docker Desktop, whose host network is its virtual machine's, not this machine's 127.0.0.1."""
    if str(client.info().get("OperatingSystem", "")).startswith("Docker Desktop"):
        return None
    for deployment, image in zip(project.deployments, images):
        if not image.server.localep_layer:
            continue
        try:
            return ContainerLaunch(client, ensure_gateway_image(client, image.tag, options.build, reporter, deployment))
        except BuildError as error:
            reporter.warn(f"the gateway image could not be built ({error}); the gateway runs as a host process and "
                          "does not outlive it or a restart of the Docker engine")
            return None
    reporter.warn("no environment image here can carry the gateway (BYOC images only): it runs as a host process "
                  "and does not outlive it or a restart of the Docker engine")
    return None


def start_instances(client: docker.DockerClient, deployment: Deployment, image: BuiltImage, options: UpOptions,
                    reporter: Reporter, owned: Lifecycle) -> List[RunningInstance]:
    tag = image.tag
    debug = options.debug if image.server.localep_layer else None  # debugpy is added with localep's python
    if debug is not None:
        if deployment.instance_count > 1:
            reporter.warn(f"{deployment.name}: --debug runs one instance (instance_count {deployment.instance_count} "
                          "would need one debug port each)")
        tag = debug_image(client, image, options.build, reporter, deployment)
    count, running = instance_counts(deployment, debug is not None)
    gpu = requested_gpus(deployment) != 0 and containers.engine_has_gpu(client)
    if requested_gpus(deployment) and not gpu:
        reporter.warn(f"{deployment.name}: asks for a GPU ({_gpu_reason(deployment)}) but this Docker engine has no "
                      "GPU runtime (NVIDIA Container Toolkit); running on the CPU")
    size = container_size(client, deployment, reporter)
    network = ensure_no_egress_network(client) if egress_disabled(deployment) else None
    prepare_collection(deployment, image.server.localep_layer, reporter)
    started = []
    routed = containers.host_reaches_containers(client)
    secret = upstream_secret(deployment.endpoint_name)
    for index in range(count):
        parked = index >= running
        # Published only where the host cannot route to a container, or for a parked one (its address comes only
        # with its start); never on an internal network. A fixed port (not Docker's ephemeral pick) survives a
        # restart by the gateway's liveness probe.
        publish = (parked or not routed) and network is None
        plan = plan_container(deployment, tag, image.server, host_port=free_port() if publish else None,
                              instance=index, debug=debug, keep_alive=options.keep_alive, engine_has_gpu=gpu, size=size,
                              no_egress_network=network, upstream_secret=secret)
        container = owned.start(plan, run=not parked)
        url = instance_url(container, plan)
        what = "created" if parked else "started"
        reporter.step(f"{what} {plan.name} ({url}{f' on {network}, no egress' if network else ''}"
                      f"{', parked until autoscale needs it' if parked else ''})")
        started.append(RunningInstance(deployment, plan, container, image, url, parked=parked))
    return started


def instance_counts(deployment: Deployment, debugging: bool) -> Tuple[int, int]:
    """Containers to create and to start: `instance_count`, or for Kubernetes `target_utilization` max_instances
    created and min_instances (at least one) started, the rest parked for the gateway's autoscaler."""
    autoscale = autoscale_of(deployment)
    if debugging:
        return 1, 1
    if autoscale is None:
        count = max(1, deployment.instance_count)
        return count, count
    return max(1, autoscale.max_instances), max(1, autoscale.min_instances)


def container_size(client: docker.DockerClient, deployment: Deployment, reporter: Reporter) -> ContainerSize:
    """The SKU's CPU and memory (or Kubernetes limits), capped to this machine with one line saying so."""
    size = size_for(deployment, machine_of(client.info()))
    if size.capped:
        reporter.warn(size.capped)
    if size.sku is not None:
        reporter.step(f"{deployment.name}: {deployment.instance_type} gives the container {describe_size(size)}")
    return size


def instance_url(container: Container, plan: ContainerPlan) -> str:
    """Where the gateway reaches an instance: its planned 127.0.0.1 port if it publishes one (known before the start,
    for a parked instance), else its own address."""
    port = plan.server.port
    planned = (plan.ports.get(f"{port}/tcp") or ("", None))[1]
    url = f"http://127.0.0.1:{planned}" if planned else containers.instance_url(container, port)
    if url is None:
        raise LocalepError(f"{plan.name} started without an address or published port the host can reach")
    return url


def _gpu_reason(deployment: Deployment) -> str:
    limits = deployment.resource_limits.gpu or deployment.resource_requests.gpu
    return f"resources: {limits} GPU" if limits else f"instance_type {deployment.instance_type}"


def wait_for(instance: RunningInstance, options: UpOptions, reporter: Reporter) -> None:
    if instance.parked:
        return  # not started: the autoscaler waits for it when it starts it
    timeout = options.ready_timeout or readiness_deadline(instance.deployment)
    if options.debug is not None and options.debug.wait_for_client and instance.image.server.localep_layer:
        reporter.step(f"waiting for a debugger on 127.0.0.1:{options.debug.port} before init() runs")
        timeout = max(timeout, 3600.0)
    path = instance.plan.server.readiness_path
    instance.ready_seconds = wait_until_ready(instance.container, f"{instance.upstream_url}{path}",
                                              instance.deployment, timeout,
                                              upstream_credential(instance.deployment.endpoint_name))


def replace_instances(client: docker.DockerClient, running: RunningEndpoint, deployment: Deployment,
                      image: BuiltImage, options: UpOptions, reporter: Reporter, owned: Lifecycle,
                      on_started: Callable[[List[RunningInstance]], None]) -> List[RunningInstance]:
    """New containers for `deployment` (e.g. after its environment changed), then the gateway switches to them."""
    for old in running.of(deployment.name):
        owned.remove(old.container)
    running.instances = [i for i in running.instances if i.deployment.name != deployment.name]
    fresh = start_instances(client, deployment, image, options, reporter, owned)
    on_started(fresh)
    gateway = running_gateway(running.name)
    if gateway is not None and options.debug is not None:
        attach_deployments(gateway, None, fresh)  # first: its debug bridges are the way to debugpy
    for instance in fresh:
        wait_for(instance, options, reporter)
    running.instances += fresh
    if gateway is not None and options.debug is None:
        attach_deployments(gateway, None, fresh)
    return fresh


def remove_endpoint(client: docker.DockerClient, endpoint: str, deployment: Optional[str] = None) -> List[str]:
    """What `down` does: remove the containers, detach them from the gateway, stop it when none remain."""
    removed = []
    for container in containers.find(client, endpoint, deployment):
        containers.remove_quietly(container)
        removed.append(container.name)
    if deployment is None:
        stop_endpoint_gateway(endpoint)
    else:
        detach_deployment(endpoint, deployment)
    return removed
