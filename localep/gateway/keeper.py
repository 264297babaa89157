"""Self-healing: a deployment container that exits is started again, with back-off, like the cloud's instances.

One thread per gateway polls the engine for the endpoint's containers. An exited instance is marked
`restarting` (so requests for it get the cloud's 503 at once instead of a connection error) and started again
after 0, 1, 2, 4 ... 30 s; the back-off starts over once it has stayed up for a minute. When the engine itself
is down the thread keeps asking, and brings every exited instance back as soon as the engine answers again
(that is how an endpoint survives an engine restart). Docker's own restart policies are not used: `docker kill`
disables them, and they keep no exit reason the gateway could show.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

from localep.gateway.pool import DeploymentPool, Instance
from localep.gateway.upstream import parse_upstream, probe
from localep.memory import oom_events

log = logging.getLogger("localep.gateway")

POLL_S = 0.5
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0
READY_PROBE_TIMEOUT_S = 1.0
CRASH_LOOP_RESTARTS = 3  # this many restarts without a stable minute in between is a crash loop

EngineCall = Callable[[Iterable[str]], Mapping[str, Dict[str, Any]]]  # container name -> docker inspect
StartCall = Callable[[str], None]
OOM_WHILE_RUNNING = "LocalepOOMWhileRunning"  # set in a running container's State when a process in it hit the limit


@dataclass
class Backoff:
    next_attempt: float = 0.0
    delay: float = 0.0
    running_since: Optional[float] = None
    quick_restarts: int = 0


def exit_reason(state: Mapping[str, Any]) -> str:
    """Why a container stopped, in the words `ps` shows."""
    code = state.get("ExitCode")
    if state.get("OOMKilled") or state.get(OOM_WHILE_RUNNING):
        return f"out of memory (OOM-killed, exit code {code})"
    if state.get("Error"):
        return f"{state['Error']} (exit code {code})"
    if code == 137:
        return "killed (SIGKILL, exit code 137)"
    if code == 143:
        return "stopped (SIGTERM, exit code 143)"
    if code == 3:
        return "the inference server exited with code 3 (init() failed or the scoring script did not load)"
    return f"exited with code {code}"


def follow_address(instance: Instance, attrs: Mapping[str, Any]) -> None:
    """An instance reached at its container's own IP follows it: a restart may give the container a new one."""
    if instance.address.host.startswith("127.") or not (attrs.get("State") or {}).get("Running"):
        return
    settings = attrs.get("NetworkSettings") or {}
    addresses = [settings.get("IPAddress")] + [n.get("IPAddress") for n in (settings.get("Networks") or {}).values()]
    current = next((address for address in addresses if address), None)
    if current and current != instance.address.host:
        log.info("keeper: %s moved from %s to %s", instance.container, instance.address.host, current)
        instance.url = f"http://{current}:{instance.address.port}"
        instance.address = parse_upstream(instance.url)


class InstanceKeeper:
    def __init__(self, pools: Callable[[], Iterable[DeploymentPool]], inspect: EngineCall, start: StartCall,
                 kill: Optional[StartCall] = None) -> None:
        self._pools = pools
        self._inspect = inspect
        self._start = start
        self._kill = kill
        self._backoff: Dict[str, Backoff] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="instance-keeper", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            # Parked instances (stopped by autoscale) are the autoscaler's, not crashed ones to restart.
            instances = {i.container: (i, pool.route.liveness.path) for pool in self._pools() for i in pool.instances
                         if i.container and not i.parked}
            if not instances:
                continue
            try:
                states = self._inspect(list(instances))
            except Exception as error:  # the engine is down or restarting: ask again next tick
                log.debug("keeper: the Docker engine does not answer: %s", error)
                continue
            now = time.monotonic()
            for name, (instance, liveness_path) in instances.items():
                attrs = states.get(name)
                if attrs is not None:
                    follow_address(instance, attrs)
                    self.look_after(name, instance, attrs.get("State") or {}, now, liveness_path)

    def look_after(self, name: str, instance: Instance, state: Mapping[str, Any], now: float,
                   liveness_path: str = "/") -> None:
        if not self._killed_for_memory(name, instance, state):
            self.tend(name, instance, state, now, liveness_path)

    def _killed_for_memory(self, name: str, instance: Instance, state: Mapping[str, Any]) -> bool:
        """The cloud's instance is killed for memory and restarted; a worker killed alone would be re-forked by
        gunicorn without a word, so the whole container goes (and the next ticks bring it back) like the cloud's."""
        if not (state.get("Running") and state.get(OOM_WHILE_RUNNING) and self._kill is not None):
            return False
        instance.exit_reason = exit_reason(state)
        log.warning("keeper: %s: out of memory: a process in it was killed for memory; restarting it", name)
        self._kill(name)
        return True

    def tend(self, name: str, instance: Instance, state: Mapping[str, Any], now: float,
             liveness_path: str = "/") -> None:
        backoff = self._backoff.setdefault(name, Backoff())
        if state.get("Running"):
            if instance.restarting:
                # Back in rotation only once its server answers: until then requests get 503 at once, not a
                # connection the userland proxy accepts and drops.
                if probe(instance.address, liveness_path, READY_PROBE_TIMEOUT_S, instance.credential) is not None:
                    return
                log.info("keeper: %s is running and answering again", name)
                instance.restarting = False
            if backoff.running_since is None:
                backoff.running_since = now
            elif now - backoff.running_since > STABLE_AFTER_S:
                backoff.delay, backoff.quick_restarts = 0.0, 0
            return
        if state.get("Restarting") or state.get("Status") in ("removing", "paused"):
            return
        if not instance.restarting:
            instance.restarting = True
            instance.exit_reason = exit_reason(state)
            log.warning("keeper: %s stopped: %s", name, instance.exit_reason)
            backoff.next_attempt = now + backoff.delay
        backoff.running_since = None
        if now < backoff.next_attempt:
            return
        backoff.delay = min(MAX_BACKOFF_S, max(FIRST_BACKOFF_S, backoff.delay * 2))
        backoff.next_attempt = now + backoff.delay
        backoff.quick_restarts += 1
        instance.restarts += 1
        instance.crash_looping = backoff.quick_restarts >= CRASH_LOOP_RESTARTS
        log.warning("keeper: restarting %s (restart %d; next attempt in %.0fs if it stops again)", name,
                    instance.restarts, backoff.delay)
        try:
            self._start(name)
        except Exception as error:
            instance.last_error = f"restart failed: {type(error).__name__}: {error}"
            log.error("keeper: starting %s failed: %s", name, error)


def docker_engine() -> Tuple[EngineCall, StartCall, StartCall]:
    """The engine calls the keeper needs (DOCKER_HOST is honoured, as by the CLI that started the gateway)."""
    import docker
    import docker.errors

    client = docker.from_env(timeout=5)
    window = [time.time()]  # the engine's `oom` events are read once each, window after window

    def inspect(names: Iterable[str]) -> Mapping[str, Dict[str, Any]]:
        states = {}
        for name in names:
            try:
                states[name] = dict(client.api.inspect_container(name))
            except docker.errors.NotFound:
                continue  # removed (e.g. by `localep down`): nothing to keep
        since, window[0] = window[0], time.time()
        for attrs in states.values():
            if attrs.get("Id") in oom_events(client, [str(attrs.get("Id"))], since, window[0]):
                attrs.setdefault("State", {})[OOM_WHILE_RUNNING] = True
        return states

    def start(name: str) -> None:
        client.api.start(name)

    def kill(name: str) -> None:
        client.api.kill(name)

    return inspect, start, kill
