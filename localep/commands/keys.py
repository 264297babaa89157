"""`localep keys`: an endpoint's keys (kept across restarts), and regenerating them."""

from __future__ import annotations

from typing import Any, Dict, Optional

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.commands.targets import endpoint_name
from localep.runtime.gateway_link import endpoint_keys, running_gateway


@click.command("keys")
@click.argument("target")
@click.option("--regenerate", type=click.Choice(["primary", "secondary"]),
              help="Replace this key; a running endpoint accepts the new one at once.")
@json_option
@handles_errors
def command(target: str, regenerate: Optional[str], as_json: bool) -> None:
    """Show an endpoint's credentials, like `az ml online-endpoint get-credentials`: its two keys, and for
    auth_mode aml_token / aad_token a fresh token from the running endpoint.

    \b
    Example:
      localep keys numpy-regression
      curl -H "Authorization: Bearer $(localep keys numpy-regression --json | jq -r .primary)" ...
      localep keys numpy-regression --regenerate secondary
    """
    name = endpoint_name(target)
    keys = endpoint_keys(name, regenerate=[regenerate] if regenerate else [])
    gateway = running_gateway(name)
    if regenerate and gateway is not None:
        gateway.control.set_keys(**{regenerate: getattr(keys, regenerate)})
        info(f"{regenerate} key of {name} regenerated; the running endpoint uses it now")
    credentials: Dict[str, Any] = {"endpoint": name, "primary": keys.primary, "secondary": keys.secondary}
    if gateway is not None and gateway.control.state()["config"]["auth_mode"] == "aml_token":
        credentials["token"] = gateway.control.issue_token()
    if as_json:
        emit_json(credentials)
        return
    click.echo(f"primary:   {keys.primary}\nsecondary: {keys.secondary}")
    if "token" in credentials:
        token = credentials["token"]
        click.echo(f"token:     {token['accessToken']}\n           (expires {token['expiryTimeUtc']})")
