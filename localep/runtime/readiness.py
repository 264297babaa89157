"""`up` is done only when the server really answers; a dead container fails at once, with its traceback."""

from __future__ import annotations

import time
from typing import Dict, List, Optional

import docker.errors
import requests
from docker.models.containers import Container

from localep.errors import DeploymentFailed, Location
from localep.memory import had_oom, out_of_memory_message, peak_memory
from localep.runtime.agent.tracebacks import extract_traceback, script_line
from localep.runtime.plan import APP_ROOT
from localep.yamlspec.model import Deployment

POLL_SECONDS = 0.05
OOM_CHECK_SECONDS = 0.5  # the engine's event log is asked this often while `up` waits


def readiness_deadline(deployment: Deployment) -> float:
    """The cloud gives up after initial_delay + period * failure_threshold; so does localep, as an upper bound."""
    probe = deployment.readiness_probe
    return float(probe.initial_delay + probe.period * probe.failure_threshold)


def wait_until_ready(container: Container, url: str, deployment: Deployment, timeout_seconds: float,
                     headers: Optional[Dict[str, str]] = None) -> float:
    """Poll `url` fast (with `headers`: the container's credential) until it answers 200; returns the seconds it
    took."""
    started = time.monotonic()
    started_epoch = next_oom_check = time.time()
    deadline = started + timeout_seconds
    probe_timeout = max(0.5, float(deployment.readiness_probe.timeout))
    session = requests.Session()
    session.headers.update(headers or {})
    session.trust_env = False  # a container's address is never reached through a proxy
    last_status = "no answer"
    while True:
        try:
            response = session.get(url, timeout=probe_timeout)
            if response.status_code == 200:
                return time.monotonic() - started
            last_status = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            last_status = type(error).__name__
        container.reload()
        if container.status in ("exited", "dead"):
            raise _exited(container, deployment, started_epoch)
        if time.time() >= next_oom_check:
            next_oom_check = time.time() + OOM_CHECK_SECONDS
            if had_oom(container, started_epoch):
                raise out_of_memory(container, deployment)
        if time.monotonic() > deadline:
            raise DeploymentFailed(
                f"deployment {deployment.name} did not answer {url} within {timeout_seconds:.0f}s "
                f"(readiness_probe bound; last: {last_status})",
                deployment.location("readiness_probe"),
                detail=_log_tail(container),
            )
        time.sleep(POLL_SECONDS)


def out_of_memory(container: Container, deployment: Deployment) -> DeploymentFailed:
    """`up` fails naming the SKU, the container's memory and the peak seen (read before the container goes)."""
    limit = (container.attrs.get("HostConfig") or {}).get("Memory") or None
    # Killed for memory means the cgroup reached its limit: that is the peak when the engine keeps none.
    peak = peak_memory(container) or limit
    message = out_of_memory_message(deployment.name, deployment.instance_type, limit, peak)
    location = deployment.location("instance_type" if deployment.instance_type else "")
    return DeploymentFailed(message, location, detail=_log_tail(container))


def _exited(container: Container, deployment: Deployment, started_epoch: float = 0.0) -> DeploymentFailed:
    if had_oom(container, started_epoch):
        return out_of_memory(container, deployment)
    exit_code = container.attrs.get("State", {}).get("ExitCode")
    logs = _logs(container)
    traceback = extract_traceback(logs)
    code = deployment.code_configuration
    script = code.script_path if code else None
    if code is not None:
        traceback = traceback.replace(f"{APP_ROOT / code.code.name}/", f"{code.code}/")
    line = script_line(traceback, script.name) if script else None
    return DeploymentFailed(
        f"deployment {deployment.name} failed to start: the server exited with code {exit_code}"
        + (f"; the error is in {script.name}" if script and line else ""),
        Location(script, line) if script and line else deployment.location(),
        detail=traceback or _tail(logs),
    )


def _logs(container: Container) -> List[str]:
    try:
        return container.logs().decode(errors="replace").splitlines()
    except docker.errors.APIError:
        return []


def _log_tail(container: Container) -> str:
    return _tail(_logs(container))


def _tail(lines: List[str], count: int = 30) -> str:
    return "\n".join(lines[-count:])
