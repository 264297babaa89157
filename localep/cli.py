"""The `localep` command group: parses arguments and dispatches; the work lives in the packages below."""

from __future__ import annotations

import importlib
from typing import List, Optional

import click

from localep import __version__

COMMAND_MODULES = [
    "up",
    "down",
    "ps",
    "logs",
    "invoke",
    "build",
    "validate",
    "classify",
    "vscode",
    "replay",
    "smoke",
    "keys",
    "traffic",
    "stats",
    "record",
    "az",
    "batch",
    "images",
    "prune",
    "package",
    "export",
]


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (click's documented lazy-loading pattern): `up`
    need not import `export`, `az` or `batch` first, which was a tenth of a second of every warm `up`."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return list(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in COMMAND_MODULES:
            return None
        command: click.Command = importlib.import_module(f"localep.commands.{cmd_name}").command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="localep")
def cli() -> None:
    """Run Azure ML online endpoints and batch deployments on this machine, in Docker, from the YAML the cloud uses.

    \b
    Example:
      localep up examples/numpy-regression/blue-deployment.yml
    """


def main() -> None:
    cli(prog_name="localep")
