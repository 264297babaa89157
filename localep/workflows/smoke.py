"""What `localep smoke` does, without CLI concerns: up a private copy of the endpoint, replay, always tear down.

The copy runs under its own endpoint name (`<name>-smoke-<random>`) on a port nobody holds, so its containers,
labels, port and state never touch a `localep up` of the same endpoint that is running at the same time.
Teardown runs on success, on failure, on Ctrl-C, SIGTERM and SIGHUP (runtime/lifecycle.py owns it), and a second
Ctrl-C cannot cut it short.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import docker

from localep.images.settings import BuildSettings
from localep.progress import Reporter, Stopwatch
from localep.replay.cases import ReplayCase, ReplayResult
from localep.replay.runner import replay
from localep.runtime.deploy import UpOptions, deploy, remove_endpoint
from localep.runtime.endpoints import EndpointAddress, endpoint_address
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.ports import free_port
from localep.runtime.state import endpoint_dir
from localep.yamlspec.datacollector import DataCollector
from localep.yamlspec.model import Deployment, Project


@dataclass(frozen=True)
class SendOptions:
    """How replay sends: at most `concurrency` in flight, at most `rate` per second, `timeout` per wait."""

    concurrency: int = 1
    rate: Optional[float] = None
    timeout: float = 30.0
    headers: Dict[str, str] = field(default_factory=dict)  # sent after the endpoint's own, e.g. a pinned deployment


@dataclass(frozen=True)
class SmokeRun:
    endpoint: str  # the private copy's name
    port: int
    results: List[ReplayResult]


def isolated_name(endpoint: str, token: Optional[str] = None) -> str:
    """`numpy-regression` -> `numpy-regression-smoke-1a2b3c`: still a valid Azure ML endpoint name."""
    return f"{endpoint}-smoke-{token or uuid.uuid4().hex[:6]}"


def isolated_project(project: Project, name: str) -> Project:
    """The same deployments on an endpoint called `name`, so container names and labels are its own; what they
    collect still goes to the endpoint's own folders (in files of their own: each writer is named after its
    container or endpoint), where `up` collects and where the user looks."""
    return Project(
        endpoint=dataclasses.replace(project.endpoint, name=name),
        deployments=[dataclasses.replace(deployment, endpoint_name=name,
                                         data_collector=collecting_as(deployment, project.endpoint.name))
                     for deployment in project.deployments],
    )


def collecting_as(deployment: Deployment, endpoint: str) -> Optional[DataCollector]:
    """The deployment's data_collector with every collection's folder pinned to the one it has on `endpoint`."""
    collector = deployment.data_collector
    if collector is None:
        return None
    return dataclasses.replace(collector, collections=tuple(
        dataclasses.replace(collection, path=collection.folder(endpoint, deployment.name))
        for collection in collector.collections))


def with_request_path(cases: Sequence[ReplayCase], request_path: str) -> List[ReplayCase]:
    """Point request-file cases at the endpoint's scoring path; recorded cases keep the path they had."""
    return [
        case if case.exchange is not None else dataclasses.replace(
            case, request=dataclasses.replace(case.request, path=request_path)
        )
        for case in cases
    ]


def send(cases: Sequence[ReplayCase], address: EndpointAddress, options: SendOptions,
         reporter: Reporter) -> List[ReplayResult]:
    """Replay `cases` against `address` (with its headers, e.g. the endpoint key) and say how fast it went."""
    pace = f", at most {options.rate:g}/s" if options.rate else ""
    reporter.step(f"replaying {len(cases)} request(s) to {address.base_url} (concurrency {options.concurrency}{pace})")
    watch = Stopwatch()
    results = replay(
        with_request_path(cases, address.scoring_path),
        address.base_url,
        headers={**address.headers, **options.headers},
        concurrency=options.concurrency,
        rate=options.rate,
        timeout=options.timeout,
    )
    elapsed = watch.elapsed()
    throughput = f" ({len(results) / elapsed:.0f}/s)" if elapsed > 0 else ""
    reporter.step(f"{len(results)} answer(s) in {watch}{throughput}")
    return results


def run_smoke(
    client: docker.DockerClient,
    project: Project,
    cases: Sequence[ReplayCase],
    build: BuildSettings,
    options: SendOptions,
    reporter: Reporter,
    ready_timeout: Optional[float] = None,
) -> SmokeRun:
    """Up a private copy of `project` on a free port, replay `cases` against it, and remove it again."""
    name = isolated_name(project.endpoint.name)
    port = free_port()
    with Lifecycle(client) as owned:
        owned.defer(functools.partial(tear_down, client, name))
        owned.defer(functools.partial(reporter.step, f"removing {name}"))
        deploy(client, isolated_project(project, name), UpOptions(build=build, port=port, ready_timeout=ready_timeout),
               reporter, owned)
        results = send(cases, endpoint_address(name), options, reporter)
    return SmokeRun(endpoint=name, port=port, results=results)


def tear_down(client: docker.DockerClient, name: str) -> None:
    """Remove what the copy left, including a container created but not yet owned, and its state folder."""
    remove_endpoint(client, name)
    shutil.rmtree(endpoint_dir(name), ignore_errors=True)
