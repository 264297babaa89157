"""The batch work queue: leases, retries, timeouts and counts, without Docker or threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from localep.batch.scheduler import Scheduler, TaskState, split_into_tasks


def files(count: int):
    return [Path(f"/data/f{index}.csv") for index in range(count)]


def test_files_are_split_by_count_not_size():
    tasks = split_into_tasks(files(25), 10)
    assert [len(task.files) for task in tasks] == [10, 10, 5]
    assert [file for task in tasks for file in task.files] == files(25)


def test_work_is_handed_out_to_whoever_asks_first():
    scheduler = Scheduler(split_into_tasks(files(4), 1), max_tries=3, error_threshold=-1)
    fast = [scheduler.lease("fast", 0.0, 30).id]
    slow = scheduler.lease("slow", 0.0, 30)
    for now in (1.0, 2.0):
        assert scheduler.succeed(fast[-1], "fast", 1)
        fast.append(scheduler.lease("fast", now, 30).id)
    assert fast == [0, 2, 3] and slow.id == 1
    assert scheduler.lease("fast", 3.0, 30) is None  # nothing waits while `slow` holds its lease
    assert not scheduler.finished


def test_a_failed_try_is_queued_again_until_the_tries_run_out():
    scheduler = Scheduler(split_into_tasks(files(2), 2), max_tries=2, error_threshold=-1)
    task = scheduler.lease("w1", 0.0, 30)
    assert scheduler.fail(task.id, "w1", "boom").state is TaskState.WAITING
    again = scheduler.lease("w2", 1.0, 30)
    assert again is task and len(task.attempts) == 2
    assert scheduler.fail(task.id, "w2", "boom").state is TaskState.FAILED
    counts = scheduler.counts()
    assert (counts.items_failed, counts.retries, counts.mini_batches_failed) == (2, 1, 1)
    assert scheduler.finished


def test_expired_leases_are_reported_and_a_late_answer_is_dropped():
    scheduler = Scheduler(split_into_tasks(files(1), 1), max_tries=3, error_threshold=-1)
    task = scheduler.lease("w1", 0.0, 5)
    assert scheduler.expired(4.9) == [] and scheduler.next_deadline() == 5.0
    assert scheduler.expired(5.0) == [task]
    scheduler.fail(task.id, "w1", "timed out", outcome="timed out")
    scheduler.lease("w2", 5.0, 5)
    assert not scheduler.succeed(task.id, "w1", 1)  # w1's lease is gone
    assert scheduler.succeed(task.id, "w2", 1)
    assert [attempt.outcome for attempt in task.attempts] == ["timed out", "succeeded"]


def test_success_counts_the_shorter_of_return_and_mini_batch():
    scheduler = Scheduler(split_into_tasks(files(10), 5), max_tries=3, error_threshold=-1)
    short, long = scheduler.lease("w", 0, 30), scheduler.lease("v", 0, 30)
    scheduler.succeed(short.id, "w", 3)
    scheduler.succeed(long.id, "v", 9)  # a longer return is capped
    counts = scheduler.counts()
    assert (counts.items_succeeded, counts.items_failed, counts.retries) == (8, 2, 0)


@pytest.mark.parametrize(("threshold", "exceeded"), [(-1, False), (3, False), (2, True)])
def test_error_threshold_counts_failed_items_over_the_whole_job(threshold, exceeded):
    scheduler = Scheduler(split_into_tasks(files(6), 2), max_tries=1, error_threshold=threshold)
    first, second = scheduler.lease("a", 0, 30), scheduler.lease("b", 0, 30)
    scheduler.fail(first.id, "a", "boom")  # 2 items
    scheduler.succeed(second.id, "b", 1)  # 1 item short
    assert scheduler.threshold_exceeded is exceeded


def test_abandon_ends_every_unfinished_task_and_invalid_moves_are_refused():
    scheduler = Scheduler(split_into_tasks(files(3), 1), max_tries=3, error_threshold=-1)
    done = scheduler.lease("a", 0, 30)
    scheduler.succeed(done.id, "a", 1)
    scheduler.lease("a", 1, 30)
    scheduler.abandon()
    assert [task.state for task in scheduler.tasks.values()] == [TaskState.SUCCEEDED, TaskState.ABANDONED,
                                                                 TaskState.ABANDONED]
    assert scheduler.finished and scheduler.lease("a", 2, 30) is None
    with pytest.raises(ValueError, match="not a valid move"):
        scheduler._move(done, TaskState.WAITING)


def test_max_retries_zero_still_runs_each_mini_batch_once():
    scheduler = Scheduler(split_into_tasks(files(1), 1), max_tries=0, error_threshold=-1)
    task = scheduler.lease("a", 0, 30)
    assert scheduler.fail(task.id, "a", "boom").state is TaskState.FAILED


def test_the_indexes_agree_with_the_states_through_a_random_job():
    import random

    rng = random.Random(7)
    scheduler = Scheduler(split_into_tasks(files(60), 3), max_tries=2, error_threshold=-1)
    now = 0.0
    while not scheduler.finished:
        now += 1
        task = scheduler.lease(f"w{rng.randint(1, 4)}", now, 5)
        if task is None:
            for expired in scheduler.expired(now + 10):
                scheduler.fail(expired.id, expired.worker, "timed out", "timed out")
            continue
        choice = rng.random()
        if choice < 0.5:
            scheduler.succeed(task.id, task.worker, rng.randint(0, 4))
        elif choice < 0.8:
            scheduler.fail(task.id, task.worker, "boom")
        counts = scheduler.counts()
        assert scheduler._failed_items == counts.items_failed
        assert scheduler.has_waiting == any(t.state is TaskState.WAITING for t in scheduler.tasks.values())
    counts = scheduler.counts()
    assert counts.mini_batches_pending == 0
    assert counts.items_succeeded + counts.items_failed == 60


def test_a_lost_instance_returns_its_lease_without_spending_a_try():
    scheduler = Scheduler(split_into_tasks(files(2), 2), max_tries=1, error_threshold=-1)
    task = scheduler.lease("instance-2/process001", 0.0, 30)
    assert scheduler.requeue(task.id, "instance-2/process001", "instance-2 lost") is task
    assert task.state is TaskState.WAITING and task.tries == 0
    assert scheduler.requeue(task.id, "instance-2/process001", "again") is None  # no longer that worker's lease
    assert scheduler.lease("instance-1/process001", 1.0, 30) is task
    assert scheduler.succeed(task.id, "instance-1/process001", 2)
    counts = scheduler.counts()
    assert (counts.requeued, counts.retries, counts.items_succeeded) == (1, 0, 2)
    assert scheduler.finished
