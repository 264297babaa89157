"""`localep record`: write the traffic of a running endpoint to a JSONL file until Ctrl-C."""

from __future__ import annotations

import time
from pathlib import Path

import click

from localep.commands.output import handles_errors, info
from localep.commands.targets import endpoint_name
from localep.errors import LocalepError
from localep.fileio import open_append
from localep.runtime.gateway_link import running_gateway, start_recording, stop_recording


@click.command("record")
@click.argument("target")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="JSONL file the exchanges are appended to.")
@handles_errors
def command(target: str, output: Path) -> None:
    """Record every request and response of a running endpoint (secrets redacted) until Ctrl-C.

    Replay the file later with `localep replay FILE --endpoint NAME`, or use it with `localep smoke`.

    \b
    Example:
      localep record numpy-regression -o traffic.jsonl
    """
    name = endpoint_name(target)
    gateway = running_gateway(name)
    if gateway is None:
        raise LocalepError(f"no running local endpoint {name!r} (see `localep ps`)")
    path = str(output.resolve())
    open_append(path, private=True).close()  # owner-only from its first byte: it holds request and response bodies
    relay = start_recording(gateway, Path(path))
    info(f"recording {name} to {path}; Ctrl-C stops")
    try:
        while running_gateway(name) is not None:
            time.sleep(0.5)
            if relay is not None:
                relay.copy()
        raise LocalepError(f"endpoint {name} stopped; recording ended")
    except KeyboardInterrupt:
        stop_recording(gateway, relay)
        info(f"stopped recording {name}")
