"""`localep ps`: what is running, from container labels, so it works from any shell."""

from __future__ import annotations

from typing import List, Optional

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors
from localep.commands.targets import endpoint_name
from localep.dockerclient import docker_client
from localep.runtime import containers, labels
from localep.runtime.containers import RunningContainer


@click.command("ps")
@click.argument("target", required=False)
@json_option
@handles_errors
def command(target: Optional[str], as_json: bool) -> None:
    """List local endpoints and their deployments.

    \b
    Example:
      localep ps
      localep ps numpy-regression --json
    """
    client = docker_client()
    rows = [containers.describe(c) for c in containers.find(client, endpoint_name(target) if target else None)]
    if as_json:
        emit_json([ps_row(row) for row in rows])
        return
    _print_table(rows)


def ps_row(row: RunningContainer) -> dict:
    scoring = row.labels.get(labels.SCORING_PATH, "/score")
    return {
        "endpoint": row.endpoint,
        "deployment": row.deployment,
        "instance": row.instance,
        "container": row.name,
        "status": row.status,
        "port": row.host_port,
        "url": f"http://127.0.0.1:{row.host_port}{scoring}" if row.host_port else None,
        "debug_port": row.debug_port,
        "image": row.image,
        "code_dir": row.labels.get(labels.CODE_DIR),
        "remote_code_dir": row.labels.get(labels.REMOTE_CODE_DIR),
        "spec_file": row.labels.get(labels.SPEC_FILE),
    }


def _print_table(rows: List[RunningContainer]) -> None:
    if not rows:
        click.echo("no local endpoints")
        return
    table = [("ENDPOINT", "DEPLOYMENT", "STATUS", "URL", "DEBUG", "CONTAINER")]
    for row in rows:
        record = ps_row(row)
        table.append((row.endpoint, row.deployment, row.status, record["url"] or "-",
                      str(row.debug_port or "-"), row.name))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
