"""`localep logs`: an endpoint's server logs, prefixed per deployment."""

from __future__ import annotations

import time
from typing import Dict, Optional

import click

from localep.commands.output import handles_errors
from localep.commands.targets import endpoint_name
from localep.dockerclient import docker_client
from localep.errors import LocalepError
from localep.gateway.status import GatewayStatus
from localep.memory import out_of_memory_note
from localep.progress import Reporter
from localep.runtime import containers
from localep.runtime.gateway_link import gateway_log, gateway_state
from localep.runtime.logs import follow_in_background, source_name, stream_lines


@click.command("logs")
@click.argument("target")
@click.option("--deployment", help="Only this deployment.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("--tail", type=int, help="Only the last N lines of each container.")
@click.option("--gateway", is_flag=True, help="The endpoint gateway's log instead: one line per request, with status "
                                             "and the deployment that answered.")
@handles_errors
def command(target: str, deployment: Optional[str], follow: bool, tail: Optional[int], gateway: bool) -> None:
    """Print the logs of a local endpoint's deployments (stdout, so they can be piped).

    \b
    Example:
      localep logs numpy-regression --tail 50
      localep logs numpy-regression --deployment blue -f
    """
    name = endpoint_name(target)
    if gateway:
        _gateway_log(name, follow, tail)
        return
    client = docker_client()
    found = containers.find(client, name, deployment)
    if not found:
        raise LocalepError(f"no local endpoint {name!r}" + (f" with deployment {deployment!r}" if deployment else ""))
    reporter = Reporter(stream=click.get_text_stream("stdout"))
    if follow:
        for thread in follow_in_background(found, reporter):
            thread.join()
        return
    reasons = instance_exit_reasons(gateway_state(name))
    for container in found:
        for line in stream_lines(container, follow=False, tail=tail):
            reporter.log(source_name(container), line)
        note = out_of_memory_note(container.attrs.get("State") or {}, reasons.get(container.name))
        if note:
            reporter.log(source_name(container), note)


def instance_exit_reasons(state: Optional[GatewayStatus]) -> Dict[str, str]:
    """Container name -> why the instance keeper last saw it stop (the gateway keeps it across restarts)."""
    deployments = state.deployments.values() if state is not None else ()
    return {instance.container: instance.exit_reason for deployment in deployments
            for instance in deployment.instances if instance.container and instance.exit_reason}


def _gateway_log(endpoint: str, follow: bool, tail: Optional[int]) -> None:
    path = gateway_log(endpoint)
    if path is None or not path.exists():
        raise LocalepError(f"endpoint {endpoint!r} has no gateway log (see `localep ps`)")
    with path.open(errors="replace") as log:
        lines = log.readlines()
        for line in lines[-tail:] if tail else lines:
            click.echo(line.rstrip("\n"))
        while follow:
            line = log.readline()
            if line:
                click.echo(line.rstrip("\n"))
            else:
                time.sleep(0.2)
