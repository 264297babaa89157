"""One-line explanations the agent adds to the server's log for failures whose cause is not in the traceback.

Standard library only (the agent loads it from beside itself in the container; the host imports it as
localep.runtime.agent.hints to find the lines again). Each hint is written once per agent, after the line that
revealed it, prefixed `localep-agent: hint: `.
"""

from __future__ import annotations

import re
from typing import Optional, Set

HINT_PREFIX = "localep-agent: hint: "
NO_EGRESS_VARIABLE = "LOCALEP_NO_EGRESS"  # "1" when the deployment sets egress_public_network_access: disabled

# How Python and the common HTTP clients say a connection could not leave the machine (no route, no DNS).
OUTBOUND_FAILURE = re.compile(
    r"Network is unreachable|\[Errno 101\]|Temporary failure in name resolution|Name or service not known"
    r"|No address associated with hostname|\[Errno -[235]\]|Failed to resolve|NameResolutionError"
)
DTYPE_SIZE_CHANGED = re.compile(r"numpy\.dtype size changed")
PACKAGE_FRAME = re.compile(r'File "[^"]*[/\\](?:site|dist)-packages[/\\](?P<package>[A-Za-z0-9_]+)[/\\]')


def egress_hint() -> str:
    return (HINT_PREFIX + "an outbound connection failed: this deployment sets egress_public_network_access: "
            "disabled, so its container has no route out of the machine, as in the cloud")


def binary_mismatch_hint(package: Optional[str]) -> str:
    culprit = package or "a compiled package"
    return (HINT_PREFIX + f"numpy.dtype size changed: {culprit} was built against an older numpy than the one "
            f"installed (numpy 2 with a package built for numpy 1): pin numpy<2 in the conda file, or a {culprit} "
            "version built for numpy 2")


class Hints:
    """Reads the server's output line by line and says what a line means, once per kind of failure."""

    def __init__(self, no_egress: bool) -> None:
        self.no_egress = no_egress
        self._said: Set[str] = set()
        self._last_package: Optional[str] = None

    def explain(self, line: str) -> Optional[str]:
        frame = PACKAGE_FRAME.search(line)
        if frame and frame.group("package") != "numpy":
            self._last_package = frame.group("package")
        if DTYPE_SIZE_CHANGED.search(line):
            return self._once("numpy", binary_mismatch_hint(self._last_package))
        if self.no_egress and OUTBOUND_FAILURE.search(line):
            return self._once("egress", egress_hint())
        return None

    def _once(self, kind: str, text: str) -> Optional[str]:
        if kind in self._said:
            return None
        self._said.add(kind)
        return text
