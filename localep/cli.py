"""The `localep` command group: parses arguments and dispatches; the work lives in the packages below."""

from __future__ import annotations

import importlib

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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="localep")
def cli() -> None:
    """Run Azure ML online endpoints and batch deployments on this machine, in Docker, from the YAML the cloud uses.

    \b
    Example:
      localep up examples/numpy-regression/blue-deployment.yml
    """


for _name in COMMAND_MODULES:
    cli.add_command(importlib.import_module(f"localep.commands.{_name}").command)


def main() -> None:
    cli(prog_name="localep")
