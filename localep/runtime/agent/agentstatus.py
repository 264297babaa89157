"""The agent's status lines: written by the in-container agent, read by the host, from this one module.

Standard library only: the agent loads it from beside itself in the container; the host imports it as
localep.runtime.agent.agentstatus. agent.py's docstring says when each line comes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

PREFIX = "localep-agent: "

READY = "ready"
RELOADING = "reloading"
RELOADED = "reloaded"
STOPPED = "stopped"
SERVER_EXITED = "server exited"
CANNOT_SERVE = "cannot serve 503"
CANNOT_START = "cannot start"

SERVING_503 = "serving 503 until the next good save"
_EXITED = re.compile(r"^server exited with code (?P<code>-?\d+)(?P<serving>; " + re.escape(SERVING_503) + ")?$")
_CANNOT = re.compile(r"^(?P<event>cannot serve 503 on port|cannot start) (?P<subject>\S+): (?P<reason>.*)$")


@dataclass(frozen=True)
class AgentStatus:
    event: str  # READY, RELOADING, RELOADED, STOPPED, SERVER_EXITED, CANNOT_SERVE or CANNOT_START
    exit_code: Optional[int] = None  # SERVER_EXITED: the server's exit status (128 + N for signal N)
    serving_503: bool = False  # SERVER_EXITED: the agent answers 503 until the next good save
    subject: str = ""  # CANNOT_SERVE: the port; CANNOT_START: the server's program
    reason: str = ""  # CANNOT_*: the OS error

    def line(self) -> str:
        """The line the agent prints, PREFIX included."""
        if self.event == SERVER_EXITED:
            return f"{PREFIX}server exited with code {self.exit_code}" + (f"; {SERVING_503}" if self.serving_503 else "")
        if self.event == CANNOT_SERVE:
            return f"{PREFIX}cannot serve 503 on port {self.subject}: {self.reason}"
        if self.event == CANNOT_START:
            return f"{PREFIX}cannot start {self.subject}: {self.reason}"
        return PREFIX + self.event


def parse_status(line: str) -> Optional[AgentStatus]:
    """The status a line of the container's output carries; None for the server's own lines."""
    if not line.startswith(PREFIX):
        return None
    text = line[len(PREFIX):].rstrip("\r\n")
    exited = _EXITED.match(text)
    if exited:
        return AgentStatus(SERVER_EXITED, exit_code=int(exited.group("code")), serving_503=bool(exited.group("serving")))
    cannot = _CANNOT.match(text)
    if cannot:
        event = CANNOT_START if cannot.group("event") == CANNOT_START else CANNOT_SERVE
        return AgentStatus(event, subject=cannot.group("subject"), reason=cannot.group("reason"))
    if text in (READY, RELOADING, RELOADED, STOPPED):
        return AgentStatus(text)
    return None
