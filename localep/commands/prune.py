"""`localep prune`: remove environment images nothing uses any more and trim the package cache."""

from __future__ import annotations

from typing import Any, Dict, Optional

import click

from localep.commands.images import image_row
from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.dockerclient import docker_client
from localep.images.inventory import PruneOutcome, prune
from localep.images.prune import format_size, parse_size


def _size(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("prune")
@click.option("--keep", type=click.IntRange(min=0), help="Keep at most N images in use, the most recently used.")
@click.option("--max-size", callback=_size, metavar="SIZE",
              help="Remove least recently used images until localep's images fit in SIZE (e.g. 5G).")
@click.option("--cache-max-size", callback=_size, metavar="SIZE",
              help="Clear the package cache when it is still larger than SIZE after trimming (e.g. 2G).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@json_option
@handles_errors
def command(keep: Optional[int], max_size: Optional[int], cache_max_size: Optional[int], dry_run: bool,
            as_json: bool) -> None:
    """Remove localep environment images that no deployment file uses any more, and trim the package cache.

    Only images this LOCALEP_HOME built are candidates (see `localep images`), never one a container uses.
    Every edit of a conda file leaves the previous image behind; `localep up` mentions this command once
    localep's images add up to more than 10 GB. The package cache (a Docker volume,
    $LOCALEP_PACKAGE_CACHE) loses the entries uv no longer refers to; with --cache-max-size it is cleared when it
    is still larger. Run it when no build is running.

    \b
    Example:
      localep prune --dry-run
      localep prune --keep 3 --max-size 5G --cache-max-size 2G --json
    """
    outcome = prune(docker_client(), keep=keep, max_size=max_size, cache_max_size=cache_max_size, dry_run=dry_run)
    if as_json:
        emit_json(_report(outcome))
        return
    verb = "would remove" if dry_run else "removed"
    for removal in outcome.removals:
        click.echo(f"{verb} {removal.image.tag} ({format_size(removal.image.size)}): {removal.reason}")
    if not outcome.removals:
        click.echo("no environment image to remove")
    if outcome.cache_before is None or outcome.cache_after is None:
        info(f"package cache {outcome.cache_volume}: not measured (no volume, or no localep image to measure it with)")
    else:
        info(f"package cache {outcome.cache_volume}: {format_size(outcome.cache_before)}"
             + ("" if dry_run else f" -> {format_size(outcome.cache_after)}"))


def _report(outcome: PruneOutcome) -> Dict[str, Any]:
    return {
        "dry_run": outcome.dry_run,
        "images": [dict(image_row(removal.image), reason=removal.reason) for removal in outcome.removals],
        "layers": outcome.layers,
        "removed_tags": outcome.removed_tags,
        "reclaimed_at_most": sum(removal.image.size for removal in outcome.removals),
        "package_cache": {"volume": outcome.cache_volume, "size_before": outcome.cache_before,
                          "size_after": outcome.cache_after},
    }
