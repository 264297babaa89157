"""`localep package`: one image that serves a deployment under a plain `docker run`, nothing mounted."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.dockerclient import docker_client
from localep.errors import SpecError
from localep.portable.build import PackagedImage, check_name, package_deployment, push_image
from localep.progress import Reporter


@click.command("package")
@click.argument("deployment_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-t", "--tag", "name", required=True, metavar="NAME[:TAG]",
              help="Image name, e.g. scoring/blue:1 (with a registry, REGISTRY/NAME[:TAG], for --push).")
@click.option("--push", is_flag=True, help="Push the image to the registry NAME names, with the engine's credentials.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a deployment field, like az ml (e.g. --set environment_variables.MODE=fast).")
@options.build_options
@options.triton_image_option
@options.json_option
@handles_errors
def command(deployment_file: Path, name: str, push: bool, overrides: Sequence[str], pull: str,
            ca_bundle: Optional[Path], rebuild: bool, installer: str, triton_image: Optional[str],
            as_json: bool) -> None:
    """Package a deployment as one portable image: its environment (from localep's cache) plus the code and model at
    the cloud's paths, the cloud's variables, and the inference server as the command, on the cloud's port.

    `docker run -p 127.0.0.1:5001:5001 NAME` then answers /score as the local endpoint's deployment does. Labels
    record the deployment file's name and digest, the content hash and the localep version; no key or path of
    this machine goes in.

    \b
    Example:
      localep package examples/numpy-regression/blue-deployment.yml -t numpy-regression/blue:1
      docker run --rm -p 127.0.0.1:5001:5001 numpy-regression/blue:1
      localep package blue-deployment.yml -t myregistry.azurecr.io/numpy-regression/blue:1 --push --json
    """
    check_name(name)
    project = options.load([deployment_file], None, overrides, triton_image)
    if len(project.deployments) != 1:
        raise SpecError(f"{deployment_file}: package takes one deployment file")
    reporter = Reporter(quiet=as_json)
    client = docker_client()
    packaged = package_deployment(client, project.deployments[0], name,
                                  options.build_settings(pull, ca_bundle, rebuild, installer), reporter)
    pushed = push_image(client, name, reporter) if push else None
    summary = _summary(packaged, pushed)
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"{name}: {packaged.content_hash[:12]} (serves {summary['scoring_path']} on port {summary['port']})")
        click.echo(f"run it: docker run --rm -p 127.0.0.1:{summary['port']}:{summary['port']} {name}")


def _summary(packaged: PackagedImage, pushed: Optional[str]) -> Dict[str, Any]:
    server = packaged.recipe.server
    assert server is not None, "an online deployment's image always has a server"
    return {
        "image": packaged.name,
        "image_id": packaged.image_id,
        "content_hash": packaged.content_hash,
        "deployment": packaged.recipe.deployment,
        "endpoint": packaged.recipe.endpoint,
        "environment_image": packaged.environment_image,
        "environment_cached": packaged.environment_cached,
        "port": server.port,
        "scoring_path": server.scoring_path,
        "liveness_path": server.liveness_path,
        "readiness_path": server.readiness_path,
        "seconds": round(packaged.seconds, 2),
        "reused": packaged.reused,
        "pushed_digest": pushed,
    }
