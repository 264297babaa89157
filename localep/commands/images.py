"""`localep images`: localep's environment images, their size, when they were last used and by which files."""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, print_table
from localep.dockerclient import docker_client
from localep.images.inventory import environment_images
from localep.images.prune import ImageFacts, format_size, total_size
from localep.images.usage import read_index


@click.command("images")
@json_option
@handles_errors
def command(as_json: bool) -> None:
    """List localep's environment images, most recently used first.

    SIZE is what localep added on top of the base image (layers shared by several images count in each).
    USED BY lists the deployment files whose latest build is the image; an image no file uses any more is
    what `localep prune` removes. Images another LOCALEP_HOME built show "-" as last used and are never pruned.

    \b
    Example:
      localep images
      localep images --json
    """
    facts = environment_images(docker_client(), read_index())
    rows = [image_row(fact) for fact in facts]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no localep environment images")
        return
    table = [["IMAGE", "SIZE", "LAST USED", "USED BY"]]
    table += [[row["image"], format_size(row["size"]), _when(row["last_used"]),
               ", ".join(row["used_by"]) or ("(a container)" if row["in_use"] else "-")] for row in rows]
    print_table(table)
    click.echo(f"\n{len(rows)} images, {format_size(total_size(facts))} added by localep", err=True)


def image_row(fact: ImageFacts) -> Dict[str, Any]:
    return {"image": fact.tag, "size": fact.size, "last_used": _iso(fact.last_used), "used_by": fact.used_by,
            "in_use": fact.in_use, "recorded": fact.recorded, "layers": fact.layers}


def _iso(when: Optional[float]) -> Optional[str]:
    if when is None:
        return None
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).isoformat(timespec="seconds")


def _when(iso: Optional[str]) -> str:
    return iso.replace("T", " ").replace("+00:00", " UTC") if iso else "-"
