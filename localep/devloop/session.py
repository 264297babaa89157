"""The foreground `up`: stream logs, hot-reload on save, rebuild when the environment changes, never give up on
a broken save.

Reload is a SIGHUP to the container (docker-init passes it to localep's agent, which swaps gunicorn's workers);
the agent's status lines say when the new code answers, or that it is broken and 503s until the next save.
"""

from __future__ import annotations

import threading
import time
from typing import Dict, List, Optional

import docker
import docker.errors
from docker.models.containers import Container

from localep.devloop.watch import REBUILD, RELOAD, Change, ChangeWatcher, WatchTarget
from localep.errors import DeploymentFailed, LocalepError
from localep.images.images import ensure_image
from localep.progress import Reporter, Stopwatch
from localep.runtime.agent.agentstatus import RELOADED, parse_status
from localep.runtime.deploy import RunningEndpoint, RunningInstance, UpOptions, replace_instances
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.logs import follow_in_background
from localep.yamlspec.model import Deployment


def watch_targets(deployment: Deployment) -> List[WatchTarget]:
    targets = []
    if deployment.code_configuration is not None:
        targets.append(WatchTarget(deployment.name, deployment.code_configuration.code, RELOAD))
    if deployment.model is not None and deployment.model.path is not None:
        targets.append(WatchTarget(deployment.name, deployment.model.path, RELOAD))
    env = deployment.environment
    if env is not None and env.conda_file is not None:
        targets.append(WatchTarget(deployment.name, env.conda_file, REBUILD))
    if env is not None and env.build is not None:
        targets.append(WatchTarget(deployment.name, env.build.path, REBUILD))
    return targets


class DevSession:
    """Owns the foreground loop of one `up`; one change at a time, in the order saved."""

    def __init__(self, client: docker.DockerClient, endpoint: RunningEndpoint, options: UpOptions,
                 reporter: Reporter, owned: Lifecycle, reload: bool):
        self.client = client
        self.endpoint = endpoint
        self.options = options
        self.reporter = reporter
        self.owned = owned
        self.reload = reload
        self._busy = threading.Lock()
        self._reload_started: Dict[str, float] = {}
        self._failure: Optional[LocalepError] = None
        self._watcher: Optional[ChangeWatcher] = None

    def run(self, since: float) -> None:
        """Until Ctrl-C (KeyboardInterrupt) or a container that dies without localep's agent to keep it up."""
        follow_in_background([i.container for i in self.endpoint.instances], self.reporter, self._on_line, since)
        if self.reload:
            targets = [t for d in self._deployments() for t in watch_targets(d)]
            self._watcher = ChangeWatcher(targets, self._on_changes).start()
            self.reporter.step("watching for changes (code and model reload; environment rebuilds); Ctrl-C stops")
        try:
            while self._failure is None:
                time.sleep(0.5)
                self._check_containers()
        finally:
            if self._watcher is not None:
                self._watcher.stop()
        raise self._failure

    def _deployments(self) -> List[Deployment]:
        seen: Dict[str, Deployment] = {}
        for instance in self.endpoint.instances:
            seen.setdefault(instance.deployment.name, instance.deployment)
        return list(seen.values())

    def _check_containers(self) -> None:
        if self._busy.locked():
            return
        for instance in list(self.endpoint.instances):
            container = instance.container
            try:
                container.reload()
            except docker.errors.NotFound:
                self._failure = DeploymentFailed(f"{container.name} was removed outside this session")
                return
            if container.status in ("exited", "dead"):
                code = container.attrs.get("State", {}).get("ExitCode")
                self._failure = DeploymentFailed(f"{container.name} stopped (exit code {code}); see its log above")

    def _on_changes(self, changes: List[Change]) -> None:
        with self._busy:
            for change in changes:
                names = ", ".join(sorted(p.name for p in change.paths))
                try:
                    if change.action == RELOAD:
                        self._reload(change.deployment, names)
                    else:
                        self._rebuild(change.deployment, names)
                except LocalepError as error:
                    self.reporter.warn(f"{change.deployment}: {error}; the previous version keeps running")
                    if error.detail:
                        self.reporter.detail(error.detail)

    def _reload(self, deployment: str, names: str) -> None:
        for instance in self.endpoint.of(deployment):
            reload_signal = instance.plan.server.reload_signal
            if reload_signal is not None:
                self._reload_started[instance.container.name] = time.monotonic()
                self.reporter.step(f"{deployment}: {names} changed, reloading")
                try:
                    instance.container.kill(signal=reload_signal)
                except docker.errors.APIError:
                    continue  # a parked autoscale instance: it reads the saved code when it starts
            else:
                self.reporter.step(f"{deployment}: {names} changed, restarting its container (its server has no reload)")
                instance.container.restart(timeout=5)

    def _rebuild(self, deployment_name: str, names: str) -> None:
        deployment = self.endpoint.of(deployment_name)[0].deployment
        self.reporter.step(f"{deployment_name}: {names} changed, the environment is rebuilt and the container replaced")
        watch = Stopwatch()
        image = ensure_image(self.client, deployment, self.options.build, self.reporter)
        if image.tag == self.endpoint.of(deployment_name)[0].image.tag:
            self.reporter.step(f"{deployment_name}: the environment image is unchanged; reloading instead")
            self._reload(deployment_name, names)
            return
        replace_instances(self.client, self.endpoint, deployment, image, self.options, self.reporter, self.owned,
                          on_started=self._follow)
        self.reporter.step(f"{deployment_name}: running on the new environment in {watch}")

    def _follow(self, instances: List[RunningInstance]) -> None:
        follow_in_background([i.container for i in instances], self.reporter, self._on_line)

    def _on_line(self, container: Container, line: str) -> None:
        status = parse_status(line)
        if status is None:
            return
        started = self._reload_started.get(container.name)
        if status.event == RELOADED and started is not None:
            self.reporter.step(f"{container.name}: new code answers ({time.monotonic() - started:.2f}s after the save)")
            self._reload_started.pop(container.name, None)
        elif status.serving_503:
            self.reporter.warn(f"{container.name}: the code is broken (traceback above); /score answers 503 "
                               "until the next good save")
            self._reload_started.pop(container.name, None)
