"""A deployment as the gateway runs it: its instances, their health, its request slots and its stats.

A pool is built from one `DeploymentRoute` and never changes its route; a live change builds a new pool
and swaps it in, so requests already inside the old pool finish against the instances they started on.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from localep.gateway.config import DeploymentRoute
from localep.gateway.stats import TrafficStats
from localep.gateway.upstream import Address, parse_upstream


@dataclass
class Instance:
    """One container of a deployment; health is changed only by its liveness probe."""

    url: str
    address: Address
    container: Optional[str] = None
    healthy: bool = True
    probed: bool = False
    consecutive_failures: int = 0
    last_error: Optional[str] = None
    restarts: int = 0

    def state(self) -> Dict[str, Any]:
        return {
            "upstream": self.url,
            "container": self.container,
            "healthy": self.healthy,
            "probed": self.probed,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "restarts": self.restarts,
        }


class DeploymentPool:
    def __init__(self, name: str, route: DeploymentRoute, stats: Optional[TrafficStats] = None) -> None:
        self.name = name
        self.route = route
        self.instances: List[Instance] = [
            Instance(
                url=url,
                address=parse_upstream(url),
                container=route.containers[index] if index < len(route.containers) else None,
            )
            for index, url in enumerate(route.upstreams)
        ]
        self.stats = stats or TrafficStats()
        self._slots = threading.BoundedSemaphore(route.capacity)
        self._turn = itertools.count()

    @property
    def timeout_s(self) -> float:
        return self.route.request_timeout_ms / 1000.0

    def acquire_slot(self) -> bool:
        """Wait up to max_queue_wait_ms for one of the 2 x concurrency x instances slots."""
        if self._slots.acquire(blocking=False):
            return True
        return self._slots.acquire(timeout=self.route.max_queue_wait_ms / 1000.0)

    def release_slot(self) -> None:
        self._slots.release()

    def candidates(self) -> List[Instance]:
        """Healthy instances, starting with the next one in round-robin order."""
        healthy = [instance for instance in self.instances if instance.healthy]
        if len(healthy) <= 1:
            return healthy
        start = next(self._turn) % len(healthy)
        return healthy[start:] + healthy[:start]

    def state(self) -> Dict[str, Any]:
        return {
            "instances": [instance.state() for instance in self.instances],
            "capacity": self.route.capacity,
            "healthy_instances": sum(1 for instance in self.instances if instance.healthy),
        }
