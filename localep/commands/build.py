"""`localep build`: build (or find cached) the environment image without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.dockerclient import docker_client
from localep.progress import Reporter
from localep.runtime.deploy import UpOptions, build_images


@click.command("build")
@options.spec_options
@options.build_options
@options.json_option
@handles_errors
def command(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
            ca_bundle: Optional[Path], rebuild: bool, installer: str, as_json: bool) -> None:
    """Build the environment image of each deployment (cached by content; code and model are not baked in).

    \b
    Example:
      localep build examples/numpy-regression/blue-deployment.yml
      localep build blue-deployment.yml --pull never --json
    """
    project = options.load(files, endpoint_file, overrides)
    up_options = UpOptions(build=options.build_settings(pull, ca_bundle, rebuild, installer))
    images = build_images(docker_client(), project, up_options, Reporter(quiet=as_json))
    rows = [
        {"deployment": d.name, "image": i.tag, "kind": i.kind, "cached": i.cached, "warnings": i.warnings}
        for d, i in zip(project.deployments, images)
    ]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['deployment']}: {row['image']} ({row['kind']}, {'cached' if row['cached'] else 'built'})")
