"""Work that must never slow a client down: a bounded queue drained by a few daemon threads.

When the queue is full the item is dropped and counted; a slow mirror or a slow disk costs copies,
never latency on the primary path.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Callable, List

log = logging.getLogger("localep.gateway")

_STOP = object()


class BackgroundQueue:
    def __init__(self, name: str, handle: Callable[[Any], None], threads: int = 1, capacity: int = 1024) -> None:
        self.name = name
        self._handle = handle
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        self.failed = 0
        self._threads: List[threading.Thread] = [
            threading.Thread(target=self._run, name=f"{name}-{index}", daemon=True) for index in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, item: Any) -> bool:
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def pending(self) -> int:
        """Items queued or being handled right now."""
        return self._queue.unfinished_tasks

    def close(self, drain: bool, timeout_s: float = 5.0) -> None:
        """Stop the threads; with `drain`, first finish what is queued (waiting at most timeout_s in all)."""
        if not drain:
            self._discard_pending()
        deadline = time.monotonic() + timeout_s
        for _ in self._threads:
            try:
                self._queue.put(_STOP, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                return
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _discard_pending(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
            self._queue.task_done()
            self.dropped += 1

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._handle(item)
            except Exception:  # a failing sink must not kill the thread that serves every later item
                self.failed += 1
                log.exception("%s: handling a queued item failed", self.name)
            finally:
                self._queue.task_done()
