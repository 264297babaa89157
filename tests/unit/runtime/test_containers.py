"""Listing localep's containers while other commands remove theirs."""

from __future__ import annotations

from typing import Dict, List

import docker.errors

from localep.runtime import containers, labels


class FakeContainer:
    def __init__(self, cid: str, container_labels: Dict[str, str]):
        self.id = cid
        self.labels = container_labels


class RacingClient:
    """An engine on which one listed container is removed before it can be inspected."""

    def __init__(self, listed: List[FakeContainer], removed: str):
        self._listed = {c.id: c for c in listed}
        self._removed = removed
        self.api = self._Api(self)
        self.containers = self._Containers(self)

    class _Api:
        def __init__(self, engine: RacingClient):
            self.engine = engine

        def containers(self, all: bool, filters: Dict[str, List[str]]):
            assert all and f"{labels.MANAGED}=true" in filters["label"]
            return [{"Id": cid} for cid in self.engine._listed]

    class _Containers:
        def __init__(self, engine: RacingClient):
            self.engine = engine

        def get(self, cid: str) -> FakeContainer:
            if cid == self.engine._removed:
                raise docker.errors.NotFound(f"No such container: {cid}")
            return self.engine._listed[cid]


def _deployment(cid: str, endpoint: str, deployment: str) -> FakeContainer:
    return FakeContainer(cid, {labels.MANAGED: "true", labels.ENDPOINT: endpoint, labels.DEPLOYMENT: deployment,
                               labels.INSTANCE: "0"})


def test_a_container_removed_between_listing_and_inspection_is_left_out():
    client = RacingClient([_deployment("b", "ep", "blue"), _deployment("g", "ep", "green")], removed="g")
    found = containers.find(client)  # type: ignore[arg-type]
    assert [c.id for c in found] == ["b"]


def test_the_gateway_container_is_no_deployment():
    gateway = FakeContainer("gw", {labels.MANAGED: "true", labels.ENDPOINT: "ep", labels.ROLE: labels.GATEWAY_ROLE})
    client = RacingClient([gateway, _deployment("b", "ep", "blue")], removed="")
    assert [c.id for c in containers.find(client)] == ["b"]  # type: ignore[arg-type]
