"""`localep keys`: an endpoint's keys (kept across restarts), and regenerating them."""

from __future__ import annotations

from typing import Any, Dict, Optional

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, info
from localep.commands.targets import endpoint_name
from localep.runtime.gateway_link import endpoint_keys, endpoint_token, replace_key, running_gateway


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
    if regenerate:
        replace_key(name, regenerate)
        info(f"{regenerate} key of {name} regenerated" +
             ("; the running endpoint uses it now" if running_gateway(name) is not None else ""))
    keys = endpoint_keys(name)
    credentials: Dict[str, Any] = {"endpoint": name, "primary": keys.primary, "secondary": keys.secondary}
    token = endpoint_token(name)
    if token is not None:
        credentials["token"] = token
    if as_json:
        emit_json(credentials)
        return
    click.echo(f"primary:   {keys.primary}\nsecondary: {keys.secondary}")
    if token is not None:
        click.echo(f"token:     {token['accessToken']}\n           (expires {token['expiryTimeUtc']})")

