"""Liveness probes: failing instances leave rotation, their container is restarted, and they come back."""

from __future__ import annotations

import threading

from gateway_fixtures import call, make_config, replace, route, wait_until

from localep.gateway.config import Liveness

FAST = Liveness(initial_delay=0, period=0.02, timeout=0.5, failure_threshold=3)


def test_failing_probe_marks_unhealthy_and_calls_restart_then_recovers(upstreams, gateways):
    blue = upstreams("blue", healthy=False)
    restarted = []
    recovered = threading.Event()

    def restart(container: str) -> None:
        restarted.append(container)
        blue.healthy = True
        recovered.set()

    config = make_config({"blue": route(blue.url, liveness=FAST, containers=["ep-blue-0"])}, {"blue": 100})
    gateway = gateways(config, restart=restart)
    instance = gateway.table.pools["blue"].instances[0]
    assert recovered.wait(5)
    assert restarted == ["ep-blue-0"] and instance.restarts == 1
    assert wait_until(lambda: instance.healthy and instance.consecutive_failures == 0)
    assert blue.liveness_hits >= 4
    assert call(gateway.port)[0] == 200


def test_unhealthy_instance_is_taken_out_of_rotation_until_it_answers(upstreams, gateways):
    sick, well = upstreams("blue-0", healthy=False), upstreams("blue-1")
    gateway = gateways(make_config({"blue": route(sick.url, well.url, liveness=FAST)}, {"blue": 100}))
    pool = gateway.table.pools["blue"]
    assert wait_until(lambda: not pool.instances[0].healthy)
    assert "503" in pool.instances[0].last_error
    hits_before = sick.hits
    assert [call(gateway.port)[0] for _ in range(6)] == [200] * 6
    assert sick.hits == hits_before and well.hits >= 6
    sick.healthy = True
    assert wait_until(lambda: pool.instances[0].healthy)
    state = gateway.state().deployments["blue"]
    assert state.healthy_instances == 2 and state.instances[0].last_error is None


def test_an_instance_returns_to_rotation_only_after_success_threshold_successes_in_a_row(upstreams, gateways):
    sick, well = upstreams("blue-0", healthy=False), upstreams("blue-1")
    liveness = Liveness(initial_delay=0, period=0.02, timeout=0.5, failure_threshold=2, success_threshold=6)
    gateway = gateways(make_config({"blue": route(sick.url, well.url, liveness=liveness)}, {"blue": 100}))
    instance = gateway.table.pools["blue"].instances[0]
    assert wait_until(lambda: not instance.healthy)
    hits_when_well = sick.liveness_hits
    sick.healthy = True
    assert wait_until(lambda: instance.healthy)
    assert sick.liveness_hits - hits_when_well >= 5  # one probe may have been under way when it got well


def test_a_restart_callback_that_fails_is_reported_and_probing_goes_on(upstreams, gateways):
    blue = upstreams("blue", healthy=False)
    attempts = []

    def restart(container: str) -> None:
        attempts.append(container)
        raise RuntimeError("docker is not running")

    config = make_config({"blue": route(blue.url, liveness=FAST, containers=["c0"])}, {"blue": 100})
    gateway = gateways(config, restart=restart)
    assert wait_until(lambda: len(attempts) >= 2)
    instance = gateway.table.pools["blue"].instances[0]
    assert not instance.healthy
    assert call(gateway.port)[0] == 503


def test_probes_follow_live_deployment_changes(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green")
    gateway = gateways(make_config({"blue": route(blue.url, liveness=FAST)}, {"blue": 100}))
    assert wait_until(lambda: blue.liveness_hits > 0)
    gateway.change(lambda config: replace(config, deployments={"green": route(green.url, liveness=FAST)}, traffic={}))
    assert wait_until(lambda: green.liveness_hits > 0)
    settled = blue.liveness_hits
    assert not wait_until(lambda: blue.liveness_hits > settled + 1, timeout_s=0.3)


def test_probe_uses_the_byoc_liveness_path(upstreams, gateways):
    blue = upstreams("blue")
    liveness = Liveness(initial_delay=0, period=0.02, timeout=0.5, failure_threshold=3, path="/health")
    gateway = gateways(make_config({"blue": route(blue.url, liveness=liveness)}, {"blue": 100}))
    assert wait_until(lambda: any(path == "/health" for _, path, _, _ in blue.requests))
    assert blue.liveness_hits == 0 and gateway.table.pools["blue"].instances[0].healthy
