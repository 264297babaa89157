"""target_utilization autoscale: Kubernetes' rule, parked instances, joining only when ready, draining first."""

from __future__ import annotations

import time
from typing import List

from localep.gateway.autoscale import Autoscaler, desired_instances, utilization
from localep.gateway.config import Autoscale, DeploymentRoute, deployment_from_dict
from localep.gateway.pool import DeploymentPool

SETTINGS = Autoscale(min_instances=1, max_instances=3, polling_interval=1, target_utilization_percentage=50)


def test_desired_follows_kubernetes_rule_within_bounds():
    assert desired_instances(1, 100.0, SETTINGS) == 2
    assert desired_instances(1, 400.0, SETTINGS) == 3
    assert desired_instances(3, 0.0, SETTINGS) == 1
    assert desired_instances(2, 50.0, SETTINGS) == 2
    assert desired_instances(2, 30.0, Autoscale(min_instances=0, max_instances=3, target_utilization_percentage=50)) == 2


def pool() -> DeploymentPool:
    route = DeploymentRoute(upstreams=["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"],
                            containers=["c1", "c2", "c3"], autoscale=SETTINGS)
    return DeploymentPool("blue", route)


def test_instances_beyond_min_start_parked_and_out_of_rotation():
    deployment = pool()
    assert [i.parked for i in deployment.instances] == [False, True, True]
    assert [i.container for i in deployment.candidates()] == ["c1"]
    assert deployment.route.capacity == 6
    assert deployment_from_dict("blue", {"upstreams": ["u"], "autoscale": {"max_instances": 2}}).autoscale == \
        Autoscale(max_instances=2)


def test_busy_slots_grow_the_pool_and_a_drained_instance_stops_after_its_last_request():
    deployment = pool()
    started: List[str] = []
    stopped: List[str] = []
    scaler = Autoscaler(lambda: [], started.append, stopped.append, lambda name: {})  # ticked by hand below
    deployment.instances[0].in_flight = 2
    assert utilization(deployment) == 200.0
    scaler.tick(deployment, SETTINGS, now=0.0)
    scaler.tick(deployment, SETTINGS, now=1.5)
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started == ["c2", "c3"]
    for instance in deployment.instances:  # as if both answered their probe
        instance.parked, instance.joining = False, False
    deployment.instances[0].in_flight = 0
    deployment.instances[2].in_flight = 1  # 33 % of three instances: one is enough at a 100 % target
    relaxed = Autoscale(min_instances=1, max_instances=3, polling_interval=1, target_utilization_percentage=100)
    scaler.tick(deployment, relaxed, now=2.0)
    scaler.tick(deployment, relaxed, now=3.6)
    assert deployment.instances[2].draining, "out of rotation at once, stopped only when idle"
    assert [i.container for i in deployment.candidates()] == ["c1"]
    while "c2" not in stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped == ["c2"], "c3 still has a request in flight"
    deployment.instances[2].in_flight = 0
    while len(stopped) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    scaler.close()
    assert stopped == ["c2", "c3"] and [i.parked for i in deployment.instances] == [False, True, True]
