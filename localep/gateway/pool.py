"""A deployment as the gateway runs it: its instances, their health, its request slots and its stats.

A pool is built from one `DeploymentRoute` and never changes its route; a live change builds a new pool
and swaps it in, so requests already inside the old pool finish against the instances they started on.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, List, Optional

from localep.gateway.config import DeploymentRoute
from localep.gateway.http1 import Headers
from localep.gateway.stats import TrafficStats
from localep.gateway.status import DeploymentStatus, InstanceStatus
from localep.gateway.upstream import Address, parse_upstream
from localep.protocol import UPSTREAM_SECRET_HEADER


@dataclass
class Instance:
    """One container of a deployment; health is changed only by its liveness probe."""

    url: str
    address: Address
    container: Optional[str] = None
    credential: Headers = field(default_factory=list)  # what the container wants on every request
    healthy: bool = True
    probed: bool = False
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_error: Optional[str] = None
    restarts: int = 0
    # Set by the instance keeper while the container is down and being restarted (with why it exited).
    restarting: bool = False
    crash_looping: bool = False
    exit_reason: Optional[str] = None
    # Autoscale (gateway/autoscale.py): a parked container is stopped and out of rotation; a joining one is
    # starting and joins when its server answers; a draining one takes no new request and stops when idle.
    parked: bool = False
    joining: bool = False
    draining: bool = False
    in_flight: int = 0  # requests sent to it and not answered yet

    @property
    def in_rotation(self) -> bool:
        return not (self.parked or self.draining)

    def status(self) -> InstanceStatus:
        return InstanceStatus(
            upstream=self.url,
            container=self.container,
            healthy=self.healthy,
            probed=self.probed,
            consecutive_failures=self.consecutive_failures,
            last_error=self.last_error,
            restarts=self.restarts,
            restarting=self.restarting,
            crash_looping=self.crash_looping,
            exit_reason=self.exit_reason,
            parked=self.parked,
            draining=self.draining,
            in_flight=self.in_flight,
        )


def _give_up(turn: asyncio.Future[bool]) -> None:
    if not turn.done():
        turn.set_result(False)


class Slots:
    """The cloud's in-flight limit: at most `capacity` requests, the next ones wait up to max_queue_wait_ms.

    Used only from the gateway's event loop, so plain counters need no lock.
    """

    def __init__(self, capacity: int) -> None:
        self.free = capacity
        self._waiting: Deque[asyncio.Future[bool]] = deque()

    async def acquire(self, wait_s: float) -> bool:
        if self.free > 0:
            self.free -= 1
            return True
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(turn)
        expiry = loop.call_later(wait_s, _give_up, turn)
        try:
            return await turn
        finally:
            expiry.cancel()

    def release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(True)  # the slot passes straight to the longest waiter
                return
        self.free += 1


class DeploymentPool:
    def __init__(self, name: str, route: DeploymentRoute, stats: Optional[TrafficStats] = None,
                 secret: str = "") -> None:
        self.name = name
        self.route = route
        self.secret = secret
        self.instances: List[Instance] = [
            Instance(
                url=url,
                address=parse_upstream(url),
                container=route.containers[index] if index < len(route.containers) else None,
                parked=index >= route.initial_instances,
                credential=[(UPSTREAM_SECRET_HEADER, secret)] if secret else [],
            )
            for index, url in enumerate(route.upstreams)
        ]
        self.stats = stats or TrafficStats()
        self.slots = Slots(route.capacity)
        self._turn = itertools.count()

    @property
    def timeout_s(self) -> float:
        return self.route.request_timeout_ms / 1000.0

    def candidates(self) -> List[Instance]:
        """Healthy running instances, starting with the next one in round-robin order."""
        healthy = [instance for instance in self.instances
                   if instance.healthy and not instance.restarting and instance.in_rotation]
        if len(healthy) <= 1:
            return healthy
        start = next(self._turn) % len(healthy)
        return healthy[start:] + healthy[:start]

    def status(self) -> DeploymentStatus:
        return DeploymentStatus(
            instances=[instance.status() for instance in self.instances],
            capacity=self.route.capacity,
            healthy_instances=sum(1 for instance in self.instances if instance.healthy),
            protocol=self.route.protocol,
            stats=self.stats.snapshot(),
            running_instances=sum(1 for instance in self.instances if instance.in_rotation),
        )
