"""The one owner of what a command started: everything removed at the end, whatever ends the block."""

from __future__ import annotations

import itertools
import os
import signal
import time
from typing import List

import pytest

from localep.exitcodes import ExitCode
from localep.interrupts import Interrupted, exit_code_of
from localep.runtime import containers
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.plan import ContainerPlan

_ids = itertools.count()


class FakeContainer:
    def __init__(self, name: str):
        self.name = name
        self.id = f"id-{next(_ids)}"


@pytest.fixture
def engine(monkeypatch) -> List[str]:
    """Starts and removals, in order, as the engine would see them."""
    events: List[str] = []

    def start(client, plan: ContainerPlan, run: bool = True) -> FakeContainer:
        events.append(f"start {plan.name}")
        return FakeContainer(plan.name)

    monkeypatch.setattr(containers, "start", start)
    monkeypatch.setattr(containers, "remove_quietly", lambda container: events.append(f"remove {container.name}"))
    monkeypatch.setattr(containers, "remove_named", lambda client, name: events.append(f"remove {name}"))
    return events


def plan(name: str) -> ContainerPlan:
    return ContainerPlan(name=name, image="img", command=[], environment={}, mounts=[], ports={}, labels={},
                         server=None)  # type: ignore[arg-type]


def removed(events: List[str]) -> List[str]:
    return sorted(event.split()[1] for event in events if event.startswith("remove"))


def test_the_end_of_the_block_removes_everything_newest_first(engine):
    with Lifecycle(object()) as owned:  # type: ignore[arg-type]
        owned.defer(lambda: engine.append("undo before any container"))
        owned.start(plan("a"))
        owned.start(plan("b"))
        owned.defer(lambda: engine.append("undo: off the gateway"))
    assert engine[:3] == ["start a", "start b", "undo: off the gateway"]
    assert removed(engine) == ["a", "b"] and engine[-1] == "undo before any container"
    assert not owned.containers


def test_kept_things_outlive_the_block(engine):
    with Lifecycle(object()) as owned:  # type: ignore[arg-type]
        owned.start(plan("a"))
        owned.defer(lambda: engine.append("undo"))
        owned.keep()
    assert engine == ["start a"]


def test_a_replaced_container_is_removed_once(engine):
    with Lifecycle(object()) as owned:  # type: ignore[arg-type]
        old = owned.start(plan("a"))
        owned.remove(old)
        owned.start(plan("a"))
    assert removed(engine) == ["a", "a"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_removes_everything_and_gives_its_exit_code(engine, signum):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised:
        with Lifecycle(object()) as owned:  # type: ignore[arg-type]
            owned.start(plan("a"))
            os.kill(os.getpid(), signum)
            time.sleep(5)
    assert removed(engine) == ["a"]
    assert exit_code_of(raised.value) == 128 + signum and owned.interrupted_by == signum
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_ctrl_c_during_the_cleanup_does_not_cut_it_short(engine):
    def impatient_user() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        engine.append("undo finished")

    with pytest.raises(Interrupted) as raised:
        with Lifecycle(object()) as owned:  # type: ignore[arg-type]
            owned.start(plan("a"))
            owned.defer(impatient_user)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert "undo finished" in engine and removed(engine) == ["a"]
    assert exit_code_of(raised.value) == ExitCode.TERMINATED  # the first request decides


def test_ctrl_c_during_a_cleanup_of_a_finished_block_is_delivered_after_it(engine):
    with pytest.raises(Interrupted) as raised:
        with Lifecycle(object()) as owned:  # type: ignore[arg-type]
            owned.start(plan("a"))
            owned.defer(lambda: os.kill(os.getpid(), signal.SIGHUP))
    assert removed(engine) == ["a"]
    assert exit_code_of(raised.value) == ExitCode.HANGUP


def test_an_interrupt_that_beat_the_shield_is_resumed_from(engine):
    """A Ctrl-C raised inside an undo step (as one arriving before the shield is up would be): the remaining undo
    steps and the container removals still run, and the interrupt comes out afterwards."""
    def interrupted_undo() -> None:
        raise KeyboardInterrupt

    with pytest.raises(Interrupted) as raised:
        with Lifecycle(object()) as owned:  # type: ignore[arg-type]
            owned.defer(lambda: engine.append("oldest undo"))
            owned.start(plan("a"))
            owned.start(plan("b"))
            owned.defer(interrupted_undo)
    assert removed(engine) == ["a", "b"] and engine[-1] == "oldest undo"
    assert exit_code_of(raised.value) == ExitCode.INTERRUPTED


def test_a_container_interrupted_while_starting_is_removed_by_name(engine, monkeypatch):
    def start_then_ctrl_c(client, plan: ContainerPlan, run: bool = True) -> FakeContainer:
        engine.append(f"start {plan.name}")
        raise KeyboardInterrupt  # created, but the start never returned it

    monkeypatch.setattr(containers, "start", start_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        with Lifecycle(object()) as owned:  # type: ignore[arg-type]
            owned.start(plan("half-started"))
    assert removed(engine) == ["half-started"]
