"""Kubernetes `scale_settings: target_utilization`: instances between min and max, from measured utilisation.

`up` creates `max_instances` containers and starts `min_instances` (at least one); the others are parked (created,
stopped, out of rotation). One thread per gateway samples each such deployment's utilisation, the busy slots of
`max_concurrent_requests_per_instance` per running instance, and every `polling_interval` seconds compares the
interval's average with `target_utilization_percentage` as Kubernetes' autoscaler does:
desired = ceil(running x utilisation / target), within [min, max]. A new instance joins the rotation only once
its server answers; a removed one leaves the rotation first and is stopped once its last request has finished, so
a scale-down fails no request. Every event goes to the endpoint's log.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Tuple

from localep.gateway.config import Autoscale
from localep.gateway.keeper import follow_address
from localep.gateway.pool import DeploymentPool, Instance
from localep.gateway.upstream import probe

log = logging.getLogger("localep.gateway")

SAMPLE_S = 0.1
READY_TIMEOUT_S = 300.0
READY_POLL_S = 0.1
DRAIN_POLL_S = 0.05
STOP_TIMEOUT_S = 5
TOLERANCE = 0.1  # Kubernetes' horizontal autoscaler ignores a utilisation within 10 % of the target

ContainerCall = Callable[[str], None]
InspectCall = Callable[[str], Mapping[str, Any]]


def desired_instances(running: int, utilization: float, settings: Autoscale) -> int:
    """Kubernetes' rule: ceil(running x utilisation / target), kept within [max(1, min_instances), max_instances];
    within its 10 % tolerance of the target nothing changes."""
    ratio = utilization / settings.target_utilization_percentage
    if running and abs(ratio - 1.0) <= TOLERANCE:
        wanted = running
    else:
        wanted = math.ceil(round(running * ratio, 6)) if running else 1
    return max(max(1, settings.min_instances), min(settings.max_instances, wanted))


def utilization(pool: DeploymentPool) -> float:
    """Busy slots as a percentage of the running instances' max_concurrent_requests_per_instance."""
    running = [instance for instance in pool.instances if instance.in_rotation]
    if not running:
        return 0.0
    busy = sum(instance.in_flight for instance in running)
    return 100.0 * busy / (pool.route.max_concurrent_requests_per_instance * len(running))


@dataclass
class Window:
    """The utilisation samples of one polling interval."""

    started: float
    samples: List[float] = field(default_factory=list)

    def average(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0


class Autoscaler:
    def __init__(self, pools: Callable[[], Iterable[DeploymentPool]], start: ContainerCall, stop: ContainerCall,
                 inspect: InspectCall) -> None:
        self._pools = pools
        self._start = start
        self._stop_container = stop
        self._inspect = inspect
        self._windows: Dict[int, Window] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autoscaler", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            for pool in self._pools():
                if pool.route.autoscale is not None:
                    self.tick(pool, pool.route.autoscale, time.monotonic())

    def tick(self, pool: DeploymentPool, settings: Autoscale, now: float) -> None:
        window = self._windows.setdefault(id(pool), Window(started=now))
        window.samples.append(utilization(pool))
        if now - window.started < settings.polling_interval:
            return
        self._windows[id(pool)] = Window(started=now)
        running = [instance for instance in pool.instances if instance.in_rotation]
        joining = [instance for instance in pool.instances if instance.joining]
        current = len(running) + len(joining)
        desired = desired_instances(len(running), window.average(), settings)
        if desired > current:
            self._scale_up(pool, desired - current, window.average(), desired)
        elif desired < len(running) and not joining:
            self._scale_down(pool, running[desired:], window.average(), desired)

    def _scale_up(self, pool: DeploymentPool, count: int, measured: float, desired: int) -> None:
        parked = [instance for instance in pool.instances if instance.parked and not instance.joining][:count]
        for instance in parked:
            log.info("autoscale: %s: utilisation %.0f%% (target %d%%): starting %s (%d -> %d instances)", pool.name,
                     measured, pool.route.autoscale.target_utilization_percentage if pool.route.autoscale else 0,
                     instance.container, _running(pool), desired)
            instance.joining = True
            threading.Thread(target=self._join, args=(pool, instance), name=f"join-{instance.container}",
                             daemon=True).start()

    def _join(self, pool: DeploymentPool, instance: Instance) -> None:
        """Start the parked container; into the rotation only once its server answers."""
        assert instance.container is not None
        try:
            self._start(instance.container)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline:
                if self._stop.is_set():
                    return  # the gateway is stopping
                follow_address(instance, self._inspect(instance.container))
                if probe(instance.address, pool.route.liveness.path, 1.0, instance.credential) is None:
                    instance.parked = False
                    log.info("autoscale: %s: %s is ready and in rotation (%d instances)", pool.name,
                             instance.container, _running(pool))
                    return
                time.sleep(READY_POLL_S)
            log.error("autoscale: %s: %s did not answer within %.0fs; stopping it", pool.name, instance.container,
                      READY_TIMEOUT_S)
            self._stop_container(instance.container)
        except Exception as error:  # Docker refused: the instance stays parked, the next interval tries again
            log.error("autoscale: %s: starting %s failed: %s", pool.name, instance.container, error)
        finally:
            instance.joining = False

    def _scale_down(self, pool: DeploymentPool, leaving: List[Instance], measured: float, desired: int) -> None:
        for instance in leaving:
            log.info("autoscale: %s: utilisation %.0f%%: draining %s (%d -> %d instances)", pool.name, measured,
                     instance.container, _running(pool), desired)
            instance.draining = True
            threading.Thread(target=self._leave, args=(pool, instance), name=f"drain-{instance.container}",
                             daemon=True).start()

    def _leave(self, pool: DeploymentPool, instance: Instance) -> None:
        """Out of rotation at once; stopped after its last request finished (no request fails)."""
        assert instance.container is not None
        while instance.in_flight > 0 and not self._stop.is_set():
            time.sleep(DRAIN_POLL_S)
        instance.parked, instance.draining = True, False
        try:
            self._stop_container(instance.container)
            log.info("autoscale: %s: %s drained and stopped (%d instances)", pool.name, instance.container,
                     _running(pool))
        except Exception as error:
            log.error("autoscale: %s: stopping %s failed: %s", pool.name, instance.container, error)


def _running(pool: DeploymentPool) -> int:
    return sum(1 for instance in pool.instances if instance.in_rotation)


def docker_calls() -> Tuple[ContainerCall, ContainerCall, InspectCall]:
    """(start, stop, inspect) on the engine DOCKER_HOST names, as the keeper's."""
    import docker

    client = docker.from_env(timeout=30)

    def start(name: str) -> None:
        client.api.start(name)

    def stop(name: str) -> None:
        client.api.stop(name, timeout=STOP_TIMEOUT_S)

    def inspect(name: str) -> Mapping[str, Any]:
        return dict(client.api.inspect_container(name))

    return start, stop, inspect
