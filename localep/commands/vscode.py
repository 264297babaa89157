"""`localep vscode`: write the debugpy attach entry for a deployment into .vscode/launch.json."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.devloop.attach import write_deployment_attach


@click.command("vscode")
@options.spec_options
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
              help="VS Code workspace folder whose .vscode/launch.json is updated.")
@click.option("--debug-port", type=click.IntRange(1, 65535), default=5678, show_default=True,
              help="The port `localep up --debug` publishes debugpy on.")
@click.option("--just-my-code/--no-just-my-code", default=True, show_default=True,
              help="Step only through your code, not libraries.")
@options.json_option
@handles_errors
def command(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], workspace: Path,
            debug_port: int, just_my_code: bool, as_json: bool) -> None:
    """Add or update a VS Code debugger attach configuration for a deployment.

    Existing configurations and comments in launch.json are kept; running it again changes nothing.

    \b
    Example:
      localep vscode examples/numpy-regression/blue-deployment.yml
      localep up examples/numpy-regression/blue-deployment.yml --debug   # then F5 "localep: attach ..."
    """
    project = options.load(files, endpoint_file, overrides)
    written = []
    for deployment in project.deployments:
        config, path = write_deployment_attach(deployment, debug_port, workspace, just_my_code)
        written.append({"deployment": deployment.name, "configuration": config["name"], "launch_json": str(path)})
    if as_json:
        emit_json(written)
    else:
        for row in written:
            click.echo(f"{row['configuration']} -> {row['launch_json']}", err=True)
        click.echo(written[-1]["launch_json"])
