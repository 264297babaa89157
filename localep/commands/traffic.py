"""`localep traffic`: change a running endpoint's traffic and mirror split without restarting anything."""

from __future__ import annotations

from typing import Dict, Sequence

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.commands.targets import endpoint_name
from localep.errors import LocalepError
from localep.gateway.client import GatewayRejected
from localep.runtime.gateway_link import running_gateway


def parse_shares(pairs: Sequence[str]) -> Dict[str, int]:
    shares = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value.strip().isdigit():
            raise click.BadParameter(f"{pair!r}: expected DEPLOYMENT=PERCENT, e.g. blue=90")
        shares[name] = int(value)
    return shares


def _apply(target: str, route: str, pairs: Sequence[str], as_json: bool) -> None:
    name = endpoint_name(target)
    gateway = running_gateway(name)
    if gateway is None:
        raise LocalepError(f"no running local endpoint {name!r} (see `localep ps`)")
    try:
        shares = parse_shares(pairs)
        state = gateway.control.set_traffic(shares) if route == "traffic" else gateway.control.set_mirror(shares)
    except GatewayRejected as error:
        raise LocalepError(f"{name}: {error}") from None
    config = state["config"]
    if as_json:
        emit_json({"endpoint": name, "traffic": config["traffic"], "mirror_traffic": config["mirror_traffic"]})
    else:
        info(f"{name}: traffic {config['traffic']}, mirror {config['mirror_traffic'] or 'none'}")


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
