"""How every command speaks: human text on terminals, JSON for scripts, one exit code per failure kind."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable, Sequence, TypeVar

import click
import docker.errors

from localep.errors import LocalepError
from localep.interrupts import exit_code_of
from localep.progress import Reporter

F = TypeVar("F", bound=Callable[..., Any])


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def info(message: str) -> None:
    """Progress and notes go to stderr so stdout stays parseable."""
    click.echo(message, err=True)


def warn(message: str) -> None:
    Reporter().warn(message)


def fail(error: LocalepError) -> click.exceptions.Exit:
    click.echo(click.style("error: ", fg="red", bold=True) + str(error), err=True)
    if error.detail:
        click.echo(error.detail.rstrip(), err=True)
    return click.exceptions.Exit(int(error.exit_code))


def handles_errors(func: F) -> F:
    """Turn LocalepError and Ctrl-C (SIGTERM, SIGHUP) into their documented exit codes instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LocalepError as error:
            raise fail(error) from None
        except docker.errors.DockerException as error:
            explanation = getattr(error, "explanation", None) or str(error)
            raise fail(LocalepError(f"the Docker engine refused: {explanation}")) from None
        except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM or SIGHUP inside a Lifecycle
            click.echo("interrupted", err=True)
            sys.exit(int(exit_code_of(interrupt)))

    return wrapper  # type: ignore[return-value]
