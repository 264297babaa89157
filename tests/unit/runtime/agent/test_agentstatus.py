"""The agent's status lines: what the agent writes is what the host reads back."""

from __future__ import annotations

import pytest

from localep.runtime.agent import agentstatus as status
from localep.runtime.agent.agentstatus import AgentStatus, parse_status


@pytest.mark.parametrize("status, line", [
    (AgentStatus(status.READY), "localep-agent: ready"),
    (AgentStatus(status.RELOADING), "localep-agent: reloading"),
    (AgentStatus(status.RELOADED), "localep-agent: reloaded"),
    (AgentStatus(status.STOPPED), "localep-agent: stopped"),
    (AgentStatus(status.SERVER_EXITED, exit_code=3), "localep-agent: server exited with code 3"),
    (AgentStatus(status.SERVER_EXITED, exit_code=137, serving_503=True),
     "localep-agent: server exited with code 137; serving 503 until the next good save"),
    (AgentStatus(status.CANNOT_SERVE, subject="5001", reason="[Errno 98] Address in use"),
     "localep-agent: cannot serve 503 on port 5001: [Errno 98] Address in use"),
    (AgentStatus(status.CANNOT_START, subject="/opt/x/python", reason="[Errno 2] No such file"),
     "localep-agent: cannot start /opt/x/python: [Errno 2] No such file"),
])
def test_a_status_line_reads_back_as_the_status_written(status: AgentStatus, line: str):
    assert status.line() == line
    assert parse_status(line + "\n") == status


@pytest.mark.parametrize("line", ["ready", "localep-agent: something else", "2026 INFO localep-agent: ready"])
def test_other_lines_carry_no_status(line: str):
    assert parse_status(line) is None
