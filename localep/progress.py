"""Progress and log lines for people: on stderr, coloured on terminals, plain when piped or with --json."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

import click

COLOURS = ("cyan", "magenta", "green", "blue", "yellow")


def warning_prefix(colour: bool) -> str:
    """The one way a warning starts, for the reporter and for commands that print without one."""
    return click.style("warning: ", fg="yellow", bold=True) if colour else "warning: "


def colour_for(name: str) -> str:
    return COLOURS[sum(name.encode()) % len(COLOURS)]


@dataclass
class Reporter:
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    prefix: str = ""  # e.g. the deployment, when several builds report at once

    def prefixed(self, source: str) -> Reporter:
        """The same stream and lock, each progress line starting with `source`."""
        return Reporter(stream=self.stream, quiet=self.quiet, _lock=self._lock, prefix=f"{source} | ")

    @property
    def colour(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def step(self, message: str) -> None:
        if not self.quiet:
            self._write((click.style("==> ", bold=True) if self.colour else "==> ") + self.prefix + message)

    def detail(self, message: str) -> None:
        if not self.quiet:
            line = "    " + self.prefix + message
            self._write(click.style(line, dim=True) if self.colour else line)

    def warn(self, message: str) -> None:
        self._write(warning_prefix(self.colour) + message)

    def log(self, source: str, line: str) -> None:
        """A container log line, prefixed with the deployment that wrote it."""
        prefix = click.style(f"{source} |", fg=colour_for(source)) if self.colour else f"{source} |"
        self._write(f"{prefix} {line}")


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __str__(self) -> str:
        return f"{self.elapsed():.1f}s"
