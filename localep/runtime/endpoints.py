"""Where a running local endpoint answers, found from its containers so any shell can call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict

import docker

from localep.errors import LocalepError
from localep.runtime import containers, labels


@dataclass(frozen=True)
class EndpointAddress:
    name: str
    base_url: str
    scoring_path: str
    headers: Dict[str, str] = field(default_factory=dict)

    @property
    def scoring_uri(self) -> str:
        return self.base_url + self.scoring_path


def endpoint_address(client: docker.DockerClient, endpoint: str) -> EndpointAddress:
    running = [containers.describe(c) for c in containers.find(client, endpoint)]
    running = [row for row in running if row.status == "running" and row.host_port]
    if not running:
        raise LocalepError(f"no running local endpoint {endpoint!r}: start it with `localep up` (see `localep ps`)")
    first = running[0]
    return EndpointAddress(
        name=endpoint,
        base_url=f"http://127.0.0.1:{first.host_port}",
        scoring_path=first.labels.get(labels.SCORING_PATH, "/score"),
    )
