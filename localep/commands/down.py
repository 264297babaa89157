"""`localep down`: remove an endpoint's containers; running it twice is fine."""

from __future__ import annotations

from typing import Optional, Sequence

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.commands.targets import endpoint_names
from localep.dockerclient import docker_client
from localep.runtime.deploy import remove_endpoint
from localep.runtime.gateway_link import all_endpoints


@click.command("down")
@click.argument("targets", nargs=-1)
@click.option("--deployment", help="Remove only this deployment of the endpoint.")
@click.option("--all", "everything", is_flag=True, help="Remove every local endpoint.")
@json_option
@handles_errors
def command(targets: Sequence[str], deployment: Optional[str], everything: bool, as_json: bool) -> None:
    """Stop and remove local endpoints (by name, or by their deployment/endpoint YAML).

    \b
    Example:
      localep down numpy-regression
      localep down examples/numpy-regression/blue-deployment.yml
      localep down --all
    """
    if not targets and not everything:
        raise click.UsageError("name an endpoint (or a YAML file), or use --all")
    client = docker_client()
    names = all_endpoints(client) if everything else endpoint_names(targets)
    removed = []
    for name in names:
        removed += remove_endpoint(client, name, deployment)
    if as_json:
        emit_json({"removed": removed})
    else:
        info(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
