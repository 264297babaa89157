"""Ctrl-C, SIGTERM and SIGHUP take one path: an `Interrupted` exception raised in the main thread.

An IDE's stop button, `timeout`, a CI runner cancelling a job and a closed terminal all stop localep the way
Ctrl-C does, so every `finally` and every owner of started containers cleans up the same way. The exit status is
the shell's convention, 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP.
`shielded()` holds these signals back while a cleanup runs, so a second Ctrl-C cannot cut it short.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional

from localep.exitcodes import ExitCode

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A stop request by a signal; a KeyboardInterrupt, so every `except KeyboardInterrupt` handles all three."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signum_of(interrupt: BaseException) -> int:
    """The signal behind an interrupt; a plain KeyboardInterrupt is Ctrl-C's."""
    return interrupt.signum if isinstance(interrupt, Interrupted) else int(signal.SIGINT)


def exit_code_of(interrupt: BaseException) -> ExitCode:
    """130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return ExitCode(128 + signum_of(interrupt))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _install(handler: Callable[[int, Any], None]) -> Dict[int, Any]:
    return {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}


def _restore(previous: Dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@contextlib.contextmanager
def signals_as_interrupts(on_signal: Optional[Callable[[int], None]] = None) -> Iterator[None]:
    """Inside the block, each stop signal raises `Interrupted` (after calling `on_signal` with its number).
    Signal handlers belong to the main thread: elsewhere this does nothing."""
    if not _in_main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        if on_signal is not None:
            on_signal(signum)
        raise Interrupted(signum)

    previous = _install(interrupt)
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def shielded() -> Iterator[List[int]]:
    """Hold the stop signals back inside the block; the list it yields collects those that arrived meanwhile."""
    arrived: List[int] = []
    if not _in_main_thread():
        yield arrived
        return
    previous = _install(lambda signum, frame: arrived.append(signum))
    try:
        yield arrived
    finally:
        _restore(previous)
