"""A CliRunner with stdout and stderr apart on every click we support (8.1, on Python 3.9, mixes them unless told)."""

from __future__ import annotations

from click.testing import CliRunner


def cli_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def all_output(result) -> str:
    """stdout and stderr together, as click 8.2's `output` is (8.1 keeps stderr out of it)."""
    return result.stdout + result.stderr
