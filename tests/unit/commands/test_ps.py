"""`localep ps` while other commands remove containers: a container gone between listing and its stats sample."""

from __future__ import annotations

from typing import Any, Dict

import requests

from localep.commands.ps import _resource_uses


class GoneMeanwhile:
    """A listed container the engine removed before its `docker stats` sample: the answer body is empty."""

    def __init__(self) -> None:
        self.labels: Dict[str, str] = {}
        self.attrs: Dict[str, Any] = {"State": {"Running": True}, "HostConfig": {}}

    def stats(self, stream: bool) -> Dict[str, Any]:
        raise requests.exceptions.JSONDecodeError("Expecting value", "", 0)


def test_a_container_removed_before_its_stats_sample_has_no_resource_use_instead_of_failing_ps():
    assert _resource_uses([GoneMeanwhile()]) == [{"instance_type": None, "memory": None, "cpu": None}]  # type: ignore[list-item]
