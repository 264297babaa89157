"""The batch job's work queue: mini-batches leased to workers with a deadline, retried, counted once.

Dask's task states and Celery's visibility timeout at a small scale: one state enum, one method (`_move`)
that changes a task's state, and every counter derived from the states (`counts()`). The loop's per-event
questions (is anything waiting, which leases are due, has the threshold been crossed) read indexes that only
`_move` maintains, so a job of 10,000 mini-batches costs no more per event than one of ten. Pure and clock-free
(callers pass `now`), so the rules are unit-tested without Docker or threads.
"""

from __future__ import annotations

import collections
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Deque, Dict, Iterable, List, Optional, Sequence, Tuple


class TaskState(enum.Enum):
    WAITING = "waiting"  # queued, first try or retry
    LEASED = "leased"  # handed to a worker until its deadline
    SUCCEEDED = "succeeded"  # run() returned; its items may still be partly failed (a short return)
    FAILED = "failed"  # every try failed or timed out
    ABANDONED = "abandoned"  # never finished: the job stopped first


_ALLOWED = {
    TaskState.WAITING: {TaskState.LEASED, TaskState.ABANDONED},
    TaskState.LEASED: {TaskState.SUCCEEDED, TaskState.WAITING, TaskState.FAILED, TaskState.ABANDONED},
    TaskState.SUCCEEDED: set(),
    TaskState.FAILED: set(),
    TaskState.ABANDONED: set(),
}


@dataclass
class Attempt:
    worker: str
    started: float
    outcome: str = ""  # "succeeded" | "failed" | "timed out" | "worker lost" | REQUEUED
    error: str = ""


REQUEUED = "requeued"  # its instance was lost: not the script's fault, so the try is not counted


@dataclass
class Task:
    """One mini-batch: the files of one run() call."""

    id: int
    files: Tuple[Path, ...]
    state: TaskState = TaskState.WAITING
    attempts: List[Attempt] = field(default_factory=list)
    deadline: Optional[float] = None
    returned: int = 0  # len() of what the successful run() returned

    @property
    def worker(self) -> Optional[str]:
        return self.attempts[-1].worker if self.state is TaskState.LEASED else None

    @property
    def succeeded_items(self) -> int:
        return min(self.returned, len(self.files)) if self.state is TaskState.SUCCEEDED else 0

    @property
    def failed_items(self) -> int:
        if self.state is TaskState.SUCCEEDED:
            return len(self.files) - self.succeeded_items
        return len(self.files) if self.state is TaskState.FAILED else 0

    @property
    def tries(self) -> int:
        """run() calls that count against max_tries: every attempt but those whose instance was lost."""
        return sum(attempt.outcome != REQUEUED for attempt in self.attempts)

    @property
    def retries(self) -> int:
        return max(0, self.tries - 1)

    @property
    def requeues(self) -> int:
        return len(self.attempts) - self.tries


@dataclass(frozen=True)
class Counts:
    """What the job record, the progress line and the summary report; `pending` is waiting or leased."""

    mini_batches: int = 0
    mini_batches_succeeded: int = 0
    mini_batches_failed: int = 0
    mini_batches_pending: int = 0
    retries: int = 0
    requeued: int = 0  # hand-outs returned to the queue because their instance was lost
    items: int = 0
    items_succeeded: int = 0
    items_failed: int = 0

    @property
    def mini_batches_done(self) -> int:
        return self.mini_batches_succeeded + self.mini_batches_failed


def split_into_tasks(files: Sequence[Path], mini_batch_size: int) -> List[Task]:
    """By file count, as the cloud does: 100 files with mini_batch_size 10 give 10 mini-batches."""
    return [Task(id=number, files=tuple(files[start:start + mini_batch_size]))
            for number, start in enumerate(range(0, len(files), mini_batch_size))]


class Scheduler:
    """`max_tries` is the cloud's run_max_try (settings.retry_settings.max_retries): run() calls per mini-batch."""

    def __init__(self, tasks: Iterable[Task], max_tries: int, error_threshold: int):
        self.tasks: Dict[int, Task] = {task.id: task for task in tasks}
        self.max_tries = max(1, max_tries)
        self.error_threshold = error_threshold
        self._queue: Deque[int] = collections.deque(self.tasks)  # WAITING, in hand-out order
        self._in_lease: Dict[int, Task] = {}
        self._failed_items = 0

    def _move(self, task: Task, state: TaskState) -> None:
        """The only place a task changes state, and so the only place the indexes change."""
        if state not in _ALLOWED[task.state]:
            raise ValueError(f"mini-batch {task.id}: {task.state.value} -> {state.value} is not a valid move")
        task.state = state
        if state is TaskState.WAITING:
            self._queue.append(task.id)
        if state is TaskState.LEASED:
            self._in_lease[task.id] = task
        else:
            self._in_lease.pop(task.id, None)
            task.deadline = None
        self._failed_items += task.failed_items

    def lease(self, worker: str, now: float, timeout: float) -> Optional[Task]:
        """The next waiting mini-batch for `worker`, due back within `timeout` seconds; None when none waits."""
        if not self._queue:
            return None
        task = self.tasks[self._queue.popleft()]
        self._move(task, TaskState.LEASED)
        task.attempts.append(Attempt(worker=worker, started=now))
        task.deadline = now + timeout
        return task

    def _leased(self, task_id: int, worker: str) -> Optional[Task]:
        """The task if `worker` still holds its lease; a late answer for an expired lease is ignored."""
        task = self.tasks.get(task_id)
        if task is None or task.state is not TaskState.LEASED or task.worker != worker:
            return None
        return task

    def holds(self, task_id: int, worker: str) -> bool:
        """Whether `worker` still holds the lease of `task_id` (its answer will be accepted)."""
        return self._leased(task_id, worker) is not None

    def succeed(self, task_id: int, worker: str, returned: int) -> bool:
        """Record run()'s return; False when the lease was no longer `worker`'s (its result must be dropped)."""
        task = self._leased(task_id, worker)
        if task is None:
            return False
        attempt = task.attempts[-1]
        attempt.outcome = "succeeded"
        task.returned = returned
        self._move(task, TaskState.SUCCEEDED)
        return True

    def fail(self, task_id: int, worker: str, error: str, outcome: str = "failed") -> Optional[Task]:
        """A failed try: queued again while tries remain, else FAILED. None when `worker` held no such lease."""
        task = self._leased(task_id, worker)
        if task is None:
            return None
        attempt = task.attempts[-1]
        attempt.outcome, attempt.error = outcome, error
        self._move(task, TaskState.WAITING if task.tries < self.max_tries else TaskState.FAILED)
        return task

    def requeue(self, task_id: int, worker: str, error: str) -> Optional[Task]:
        """`worker`'s instance was lost: the mini-batch waits again for another worker, its try not counted (the
        cloud re-queues a lost node's mini-batches). None when `worker` held no such lease."""
        task = self._leased(task_id, worker)
        if task is None:
            return None
        attempt = task.attempts[-1]
        attempt.outcome, attempt.error = REQUEUED, error
        self._move(task, TaskState.WAITING)
        return task

    def expired(self, now: float) -> List[Task]:
        """Leases past their deadline (the caller replaces those workers, then calls `fail`)."""
        return [task for task in self._in_lease.values() if task.deadline is not None and task.deadline <= now]

    def lease_of(self, worker: str) -> Optional[Task]:
        return next((task for task in self._in_lease.values() if task.worker == worker), None)

    def next_deadline(self) -> Optional[float]:
        deadlines = [task.deadline for task in self._in_lease.values() if task.deadline is not None]
        return min(deadlines) if deadlines else None

    def abandon(self) -> None:
        """The job stops early: whatever is not finished never will be."""
        for task_id in list(self._queue) + list(self._in_lease):
            self._move(self.tasks[task_id], TaskState.ABANDONED)
        self._queue.clear()

    @property
    def has_waiting(self) -> bool:
        return bool(self._queue)

    @property
    def finished(self) -> bool:
        return not self._queue and not self._in_lease

    @property
    def threshold_exceeded(self) -> bool:
        """error_threshold counts failed items over the whole job; -1 ignores failures."""
        return self.error_threshold >= 0 and self._failed_items > self.error_threshold

    def counts(self) -> Counts:
        tasks = list(self.tasks.values())
        return Counts(
            mini_batches=len(tasks),
            mini_batches_succeeded=sum(task.state is TaskState.SUCCEEDED for task in tasks),
            mini_batches_failed=sum(task.state is TaskState.FAILED for task in tasks),
            mini_batches_pending=sum(task.state in (TaskState.WAITING, TaskState.LEASED) for task in tasks),
            retries=sum(task.retries for task in tasks),
            requeued=sum(task.requeues for task in tasks),
            items=sum(len(task.files) for task in tasks),
            items_succeeded=sum(task.succeeded_items for task in tasks),
            items_failed=sum(task.failed_items for task in tasks),
        )
