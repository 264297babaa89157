"""`localep invoke`: send one scoring request; the exit code says whether it succeeded."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Dict, Optional

import click
import requests

from localep.commands.options import header_option, json_option
from localep.commands.output import emit_json, handles_errors
from localep.commands.targets import endpoint_name
from localep.exitcodes import ExitCode
from localep.protocol import DEPLOYMENT_HEADER
from localep.runtime.endpoints import EndpointAddress, endpoint_address, score


@click.command("invoke")
@click.argument("target", required=False)
@click.option("--url", help="Call this scoring URI instead of a local endpoint by name.")
@click.option("--request-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Request body (default: read from stdin).")
@click.option("--deployment", help="Pin a deployment (sends the azureml-model-deployment header).")
@header_option
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for the answer.")
@json_option
@handles_errors
def command(target: Optional[str], url: Optional[str], request_file: Optional[Path], deployment: Optional[str],
            headers: Dict[str, str], timeout: float, as_json: bool) -> None:
    """Score one request against a local endpoint and print the answer.

    Exits 0 on a 2xx answer and 8 otherwise, so scripts can rely on it.

    \b
    Example:
      localep invoke numpy-regression --request-file examples/numpy-regression/sample-request.json
      echo '{"data": [[1,2,3,4,5,6,7,8,9,10]]}' | localep invoke numpy-regression --json
    """
    if not target and not url:
        raise click.UsageError("name an endpoint (or one of its YAML files), or give --url")
    address = EndpointAddress(name="", base_url=url, scoring_path="") if url else \
        endpoint_address(endpoint_name(target or ""))
    body = request_file.read_bytes() if request_file else sys.stdin.buffer.read()
    started = time.monotonic()
    response = score(address, body, deployment, headers, timeout)
    latency_ms = (time.monotonic() - started) * 1000
    answered_by = response.headers.get(DEPLOYMENT_HEADER)
    if as_json:
        emit_json({
            "status": response.status_code,
            "body": _json_or_text(response),
            # The answer exactly as sent (`body` re-encodes JSON), for editors that show it unchanged.
            "body_text": response.text,
            "headers": dict(response.headers),
            "deployment": answered_by,
            "latency_ms": round(latency_ms, 2),
            "url": address.scoring_uri,
        })
    else:
        click.echo(f"HTTP {response.status_code} {response.reason} ({latency_ms:.0f} ms"
                   + (f", deployment {answered_by}" if answered_by else "") + ")", err=True)
        click.echo(response.text)
    if not 200 <= response.status_code < 300:
        sys.exit(int(ExitCode.HTTP_ERROR))


def _json_or_text(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return response.text
