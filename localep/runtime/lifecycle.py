"""One owner for everything a command started: containers, and undo steps such as taking deployments off the
gateway. In the testcontainers style: `with Lifecycle(client) as owned:` starts things through `owned`, and when
the block ends (normally, by an error, by Ctrl-C, SIGTERM or SIGHUP) all of it is removed, newest first.

`keep()` hands everything over instead (`up --detach`, `az ml online-deployment create`: the endpoint outlives the
command). While the block runs, the stop signals raise `Interrupted` (see localep.interrupts); while the cleanup
runs they are held back, and a cleanup cut short before the shield was up is resumed, so a second Ctrl-C never
leaves a container behind.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from typing import Callable, Dict, List, Optional, Set

import docker
from docker.models.containers import Container

from localep.interrupts import Interrupted, shielded, signals_as_interrupts, signum_of
from localep.runtime import containers
from localep.runtime.plan import ContainerPlan


class Lifecycle:
    def __init__(self, client: docker.DockerClient):
        self.client = client
        self.containers: Dict[str, Container] = {}  # by id, in the order started
        self.interrupted_by: Optional[int] = None  # the signal that stopped the block, if one did
        self._starting: Set[str] = set()  # names of containers being started
        self._removal_deferred = False
        self._undo = contextlib.ExitStack()
        self._signals = contextlib.ExitStack()

    def __enter__(self) -> Lifecycle:
        self._signals.enter_context(signals_as_interrupts(self._note))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            arrived = self._close_shielded()
        finally:
            self._signals.close()
        if arrived and exc_type is None and self.interrupted_by is None:
            raise Interrupted(arrived[0])  # a stop request that came during the cleanup, delivered after it

    def _note(self, signum: int) -> None:
        self.interrupted_by = signum

    # --- what the command starts ------------------------------------------------------------------------------------

    def start(self, plan: ContainerPlan, run: bool = True) -> Container:
        """Start (`run=False`: only create) a container owned by this lifecycle (a failed start leaves none behind)."""
        if not self._removal_deferred:
            self._undo.callback(self._remove_containers)  # undo steps deferred before this run after it
            self._removal_deferred = True
        self._starting.add(plan.name)  # a Ctrl-C between create and this return still finds it by name
        container = containers.start(self.client, plan, run=run)
        self.containers[container.id] = container
        self._starting.discard(plan.name)
        return container

    def remove(self, container: Container) -> None:
        """Remove one container now (e.g. replaced after its environment changed)."""
        containers.remove_quietly(container)
        self.containers.pop(container.id, None)

    def defer(self, undo: Callable[[], None]) -> None:
        """Run `undo` at the end, newest first: one deferred after a container started runs before it is removed."""
        self._undo.callback(undo)

    def keep(self) -> None:
        """Hand everything started so far over to whoever comes next: the end of the block removes none of it."""
        self._undo.pop_all()
        self.containers.clear()
        self._starting.clear()
        self._removal_deferred = False

    # --- the end ----------------------------------------------------------------------------------------------------

    def _close_shielded(self) -> List[int]:
        """Undo steps and containers, newest first, with the stop signals held back; returns those that arrived."""
        arrived: List[int] = []
        while True:
            try:
                with shielded() as held:
                    try:
                        self._undo.close()
                    finally:
                        self._remove_containers()
                return arrived + held
            except KeyboardInterrupt as interrupt:
                # It came before the shield was up: note it and resume (finished undo steps are not run again).
                arrived.append(signum_of(interrupt))

    def _remove_containers(self) -> None:
        """Side by side (the engine takes a fraction of a second for each); each is forgotten once removed, so a
        removal cut short resumes where it stopped."""
        for name in list(self._starting):
            containers.remove_named(self.client, name)
            self._starting.discard(name)
        owned = list(reversed(self.containers.values()))
        if not owned:
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(owned))) as pool:
            for container, _ in zip(owned, pool.map(containers.remove_quietly, owned)):
                self.containers.pop(container.id, None)
