"""`localep traffic`: change a running endpoint's traffic and mirror split without restarting anything."""

from __future__ import annotations

from typing import Sequence

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.commands.targets import endpoint_name
from localep.errors import LocalepError
from localep.runtime.gateway_link import apply_shares
from localep.yamlspec.traffic import parse_shares


def _apply(target: str, route: str, pairs: Sequence[str], as_json: bool) -> None:
    try:
        shares = parse_shares(pairs)
    except LocalepError as error:
        raise click.BadParameter(str(error), param_hint="SHARES") from None
    name = endpoint_name(target)
    config = apply_shares(name, route, shares)
    if as_json:
        emit_json({"endpoint": name, "traffic": config.traffic, "mirror_traffic": config.mirror_traffic})
    else:
        info(f"{name}: traffic {config.traffic}, mirror {config.mirror_traffic or 'none'}")


@click.group("traffic")
def command() -> None:
    """Change how a running local endpoint splits and mirrors traffic (takes effect at once, no restart).

    \b
    Example:
      localep traffic set my-endpoint blue=90 green=10
      localep traffic mirror my-endpoint green=10
    """


@command.command("set")
@click.argument("target")
@click.argument("shares", nargs=-1, required=True)
@json_option
@handles_errors
def set_traffic(target: str, shares: Sequence[str], as_json: bool) -> None:
    """Set traffic percentages; deployments not named get 0.

    \b
    Example:
      localep traffic set my-endpoint blue=90 green=10
    """
    _apply(target, "traffic", shares, as_json)


@command.command("mirror")
@click.argument("target")
@click.argument("shares", nargs=-1, required=True)
@json_option
@handles_errors
def set_mirror(target: str, shares: Sequence[str], as_json: bool) -> None:
    """Copy a share of live traffic to a deployment (clients only see the primary's answers); `green=0` stops it.

    \b
    Example:
      localep traffic mirror my-endpoint green=10
    """
    _apply(target, "mirror", shares, as_json)
