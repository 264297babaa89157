"""Liveness probes: one thread per instance, GET on the liveness path per schedule, restart after failures.

As in the cloud, a failing instance is taken out of rotation after `failure_threshold` consecutive
failures and its container restarted; it is back in rotation after `success_threshold` consecutive successes.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Dict, Iterable, Optional, Tuple

from localep.gateway.config import Liveness
from localep.gateway.pool import DeploymentPool, Instance
from localep.gateway.upstream import probe

log = logging.getLogger("localep.gateway")

RestartCallback = Callable[[str], None]


def probe_loop(
    deployment: str,
    instance: Instance,
    liveness: Liveness,
    stop: threading.Event,
    restart: Optional[RestartCallback],
) -> None:
    if stop.wait(liveness.initial_delay):
        return
    while True:
        if instance.parked:  # stopped by autoscale: nothing to probe until it has joined again
            if stop.wait(liveness.period):
                return
            continue
        failure = probe(instance.address, liveness.path, liveness.timeout, instance.credential)
        instance.probed = True
        if failure is None:
            _succeeded(deployment, instance, liveness)
        elif _failed(deployment, instance, liveness, failure) and restart is not None and instance.container:
            _restart(restart, deployment, instance, instance.container)
            if stop.wait(liveness.initial_delay):
                return
            continue
        if stop.wait(liveness.period):
            return


def _succeeded(deployment: str, instance: Instance, liveness: Liveness) -> None:
    """A success ends a run of failures; an instance out of rotation is back after `success_threshold` in a row."""
    instance.consecutive_failures = 0
    instance.consecutive_successes += 1
    if instance.consecutive_successes < liveness.success_threshold:
        return
    if not instance.healthy:
        log.info("liveness: %s %s is healthy again", deployment, instance.url)
    instance.healthy, instance.last_error = True, None


def _failed(deployment: str, instance: Instance, liveness: Liveness, failure: str) -> bool:
    """Count a failure; True once `failure_threshold` failures in a row took the instance out of rotation."""
    instance.consecutive_successes = 0
    instance.consecutive_failures += 1
    instance.last_error = failure
    if instance.consecutive_failures < liveness.failure_threshold:
        return False
    if instance.healthy:
        log.warning(
            "liveness: %s %s failed %d times in a row (%s); taking it out of rotation",
            deployment,
            instance.url,
            instance.consecutive_failures,
            failure,
        )
    instance.healthy = False
    return True


def _restart(restart: RestartCallback, deployment: str, instance: Instance, container: str) -> None:
    """Restart once per threshold crossing: the failure count starts over so the container gets its start-up time."""
    log.warning("liveness: restarting container %s of deployment %s", container, deployment)
    instance.consecutive_failures = 0
    instance.restarts += 1
    try:
        restart(container)
    except Exception as error:  # the callback talks to Docker; its failure must not stop probing
        instance.last_error = f"restart failed: {type(error).__name__}: {error}"
        log.error("liveness: restarting %s failed: %s", container, error)


class Prober:
    """Keeps one probe thread per live instance, following the pools the gateway currently routes to."""

    def __init__(self, restart: Optional[RestartCallback]) -> None:
        self._restart = restart
        self._running: Dict[int, Tuple[Instance, threading.Event]] = {}
        self._lock = threading.Lock()

    def follow(self, pools: Iterable[DeploymentPool]) -> None:
        wanted = {id(instance): (pool, instance) for pool in pools for instance in pool.instances}
        with self._lock:
            for key in list(self._running):
                if key not in wanted:
                    self._running.pop(key)[1].set()
            for key, (pool, instance) in wanted.items():
                if key in self._running:
                    continue
                stop = threading.Event()
                self._running[key] = (instance, stop)
                threading.Thread(
                    target=probe_loop,
                    args=(pool.name, instance, pool.route.liveness, stop, self._restart),
                    name=f"probe-{pool.name}-{instance.url}",
                    daemon=True,
                ).start()

    def stop(self) -> None:
        self.follow(())
