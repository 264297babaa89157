"""`localep az`: az's own argument style, passed through untouched to localep.az (which parses it as az does)."""

from __future__ import annotations

import sys
from typing import Sequence

import click

from localep.az.cli import main


@click.command("az", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                       "help_option_names": []},
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: Sequence[str]) -> None:
    """Run `az ml ...` command lines locally (same flags, same JSON, az's exit codes).

    \b
    Example:
      localep az ml online-endpoint create --local -n my-endpoint -f endpoint.yml
      localep az ml online-deployment create --local -n blue -e my-endpoint -f blue-deployment.yml
      localep az --help
    """
    sys.exit(main(list(args) or ["--help"]))
