"""The instance keeper and memory: a container killed for memory is named so and comes back, like the cloud's."""

from __future__ import annotations

from typing import List

from localep.gateway.keeper import OOM_WHILE_RUNNING, InstanceKeeper, exit_reason
from localep.gateway.pool import Instance
from localep.gateway.upstream import parse_upstream


def _keeper(killed: List[str], started: List[str]) -> InstanceKeeper:
    keeper = InstanceKeeper(lambda: [], lambda names: {}, started.append, killed.append)
    keeper.close()
    return keeper


def test_a_process_killed_for_memory_takes_the_container_down_and_up_again():
    killed: List[str] = []
    started: List[str] = []
    keeper = _keeper(killed, started)
    instance = Instance(url="http://127.0.0.1:1", address=parse_upstream("http://127.0.0.1:1"), container="c")
    keeper.look_after("c", instance, {"Running": True, OOM_WHILE_RUNNING: True}, now=100.0)
    assert killed == ["c"] and "out of memory" in (instance.exit_reason or "")
    keeper.look_after("c", instance, {"Running": False, "OOMKilled": True, "ExitCode": 137}, now=100.5)
    assert instance.restarting and started == ["c"]
    assert instance.exit_reason == "out of memory (OOM-killed, exit code 137)"


def test_exit_137_without_the_oom_flag_is_a_kill_not_memory():
    assert exit_reason({"ExitCode": 137}) == "killed (SIGKILL, exit code 137)"
