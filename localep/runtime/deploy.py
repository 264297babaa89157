"""spec -> build -> containers -> ready: what `up` does, without any CLI concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import docker

from localep.build.images import BuiltImage, debug_image, ensure_image
from localep.build.settings import BuildSettings
from localep.errors import LocalepError
from localep.progress import Reporter, Stopwatch
from localep.runtime import containers
from localep.runtime.containers import ContainerGroup
from localep.runtime.plan import ContainerPlan, DebugOptions, plan_container
from localep.runtime.ports import endpoint_port
from localep.runtime.readiness import readiness_deadline, wait_until_ready
from localep.spec.model import Deployment, Project
from docker.models.containers import Container


@dataclass(frozen=True)
class UpOptions:
    build: BuildSettings
    port: Optional[int] = None
    debug: Optional[DebugOptions] = None
    keep_alive: bool = False
    ready_timeout: Optional[float] = None


@dataclass
class RunningInstance:
    deployment: Deployment
    plan: ContainerPlan
    container: Container
    host_port: int
    ready_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.host_port}"


@dataclass
class RunningEndpoint:
    name: str
    port: int
    scoring_path: str
    instances: List[RunningInstance] = field(default_factory=list)

    @property
    def scoring_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.scoring_path}"


def build_images(client: docker.DockerClient, project: Project, options: UpOptions, reporter: Reporter) -> List[BuiltImage]:
    images = []
    for deployment in project.deployments:
        image = ensure_image(client, deployment, options.build, reporter)
        if image.cached:
            for warning in image.warnings:
                reporter.warn(warning)
        images.append(image)
    return images


def deploy(
    client: docker.DockerClient, project: Project, options: UpOptions, reporter: Reporter, group: ContainerGroup
) -> RunningEndpoint:
    """Start every deployment of `project` inside `group` (removed by the caller on failure) and wait until ready."""
    if len(project.deployments) != 1:
        raise LocalepError("one deployment per `up` for now: give a single deployment file")
    watch = Stopwatch()
    images = build_images(client, project, options, reporter)
    endpoint = project.endpoint
    for deployment in project.deployments:
        for old in containers.find(client, endpoint.name, deployment.name):
            containers.remove_quietly(old)
    port = endpoint_port(client, endpoint.name, options.port)
    running = RunningEndpoint(name=endpoint.name, port=port, scoring_path=images[0].server.scoring_path)
    for deployment, image in zip(project.deployments, images):
        tag = image.tag
        debug = options.debug if image.server.managed else None
        if debug is not None:
            tag = debug_image(client, image, options.build, reporter, deployment)
        plan = plan_container(deployment, tag, image.server, host_port=port, debug=debug,
                              keep_alive=options.keep_alive)
        reporter.step(f"starting {plan.name} on 127.0.0.1:{port}")
        container = group.start(plan)
        running.instances.append(RunningInstance(deployment, plan, container, port))
    for instance in running.instances:
        server = instance.plan.server
        timeout = options.ready_timeout or readiness_deadline(instance.deployment)
        if options.debug is not None and options.debug.wait_for_client:
            reporter.step(f"waiting for a debugger on 127.0.0.1:{options.debug.port} before init() runs")
            timeout = max(timeout, 3600.0)
        instance.ready_seconds = wait_until_ready(
            instance.container, f"{instance.base_url}{server.readiness_path}", instance.deployment, timeout
        )
    reporter.step(f"{endpoint.name} is ready in {watch}: {running.scoring_uri}")
    return running
