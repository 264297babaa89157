"""Fixtures for the agent tests: every agent a test starts is cleaned up with its whole server."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List, Sequence

import pytest
from agent_harness import AgentRun, clean_up, launch_agent

StartAgent = Callable[..., AgentRun]


@pytest.fixture
def start_agent() -> Iterator[StartAgent]:
    """start_agent(server_command, *agent_options, port=...) runs the agent until the test ends."""
    runs: List[AgentRun] = []

    def start(server_command: Sequence[str], *agent_options: str, port: int) -> AgentRun:
        run = launch_agent(server_command, agent_options, port)
        runs.append(run)
        return run

    yield start
    for run in runs:
        clean_up(run)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "app"
    directory.mkdir()
    return directory
