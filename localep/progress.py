"""Progress and log lines for people: on stderr, coloured on terminals, plain when piped or with --json."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

COLOURS = ("cyan", "magenta", "green", "blue", "yellow")
ANSI = {"cyan": 36, "magenta": 35, "green": 32, "blue": 34, "yellow": 33, "red": 31, "dim": 2, "bold": 1}


def _style(text: str, colour: str, enabled: bool) -> str:
    return f"\x1b[{ANSI[colour]}m{text}\x1b[0m" if enabled else text


def colour_for(name: str) -> str:
    return COLOURS[sum(name.encode()) % len(COLOURS)]


@dataclass
class Reporter:
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def colour(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def step(self, message: str) -> None:
        if not self.quiet:
            self._write(_style("==> ", "bold", self.colour) + message)

    def detail(self, message: str) -> None:
        if not self.quiet:
            self._write(_style("    " + message, "dim", self.colour))

    def warn(self, message: str) -> None:
        self._write(_style("warning: ", "yellow", self.colour) + message)

    def log(self, source: str, line: str) -> None:
        """A container log line, prefixed with the deployment that wrote it."""
        prefix = _style(f"{source} |", colour_for(source), self.colour)
        self._write(f"{prefix} {line}")


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __str__(self) -> str:
        return f"{self.elapsed():.1f}s"
