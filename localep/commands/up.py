"""`localep up`: build, start, wait until the deployment really answers, then stream its log (or detach)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.dockerclient import docker_client
from localep.errors import DeploymentFailed
from localep.progress import Reporter
from localep.runtime.containers import ContainerGroup
from localep.runtime.deploy import RunningEndpoint, UpOptions, deploy
from localep.runtime.logs import follow_in_background
from localep.runtime.plan import DebugOptions


@click.command("up")
@options.spec_options
@options.build_options
@click.option("--port", type=click.IntRange(1, 65535), help="Endpoint port on 127.0.0.1 (default: remembered per endpoint).")
@click.option("-d", "--detach", is_flag=True, help="Return once ready and leave the endpoint running.")
@click.option("--debug", is_flag=True, help="Run the server under debugpy, listening on 127.0.0.1:--debug-port.")
@click.option("--debug-port", type=click.IntRange(1, 65535), default=5678, show_default=True)
@click.option("--wait-for-debugger", is_flag=True, help="With --debug: stop before init() until a debugger attaches.")
@click.option("--timeout", "ready_timeout", type=float, help="Seconds to wait for readiness (default: the readiness_probe bound).")
@options.json_option
@handles_errors
def command(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
            ca_bundle: Optional[Path], rebuild: bool, port: Optional[int], detach: bool, debug: bool, debug_port: int,
            wait_for_debugger: bool, ready_timeout: Optional[float], as_json: bool) -> None:
    """Run a deployment locally and wait until it answers, like the cloud would.

    FILES are deployment YAML files (and optionally the endpoint YAML), exactly as written for Azure ML.

    \b
    Example:
      localep up examples/numpy-regression/blue-deployment.yml
      localep up blue-deployment.yml --detach --port 8080
    """
    reporter = Reporter(quiet=as_json)
    project = options.load(files, endpoint_file, overrides)
    client = docker_client()
    up_options = UpOptions(
        build=options.build_settings(pull, ca_bundle, rebuild),
        port=port,
        debug=DebugOptions(port=debug_port, wait_for_client=wait_for_debugger) if (debug or wait_for_debugger) else None,
        ready_timeout=ready_timeout,
    )
    with ContainerGroup(client) as group:
        started = time.time()
        endpoint = deploy(client, project, up_options, reporter, group)
        if detach:
            _report(endpoint, as_json)
            return
        _report(endpoint, as_json)
        try:
            _run_foreground(endpoint, reporter, started)
        finally:
            reporter.step(f"stopping {endpoint.name}")
            group.remove_all()


def _report(endpoint: RunningEndpoint, as_json: bool) -> None:
    if as_json:
        emit_json(endpoint_summary(endpoint))
    else:
        click.echo(endpoint.scoring_uri)


def endpoint_summary(endpoint: RunningEndpoint) -> dict:
    return {
        "endpoint": endpoint.name,
        "port": endpoint.port,
        "scoring_uri": endpoint.scoring_uri,
        "deployments": [
            {"deployment": i.deployment.name, "container": i.plan.name, "ready_seconds": round(i.ready_seconds, 3)}
            for i in endpoint.instances
        ],
    }


def _run_foreground(endpoint: RunningEndpoint, reporter: Reporter, started: float) -> None:
    """Stream logs until Ctrl-C; a container that dies ends the session with its exit code."""
    running = [instance.container for instance in endpoint.instances]
    follow_in_background(running, reporter, since=started - 1)
    while True:
        time.sleep(0.5)
        for container in running:
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs.get("State", {}).get("ExitCode")
                raise DeploymentFailed(f"{container.name} stopped (exit code {code}); see its log above")
