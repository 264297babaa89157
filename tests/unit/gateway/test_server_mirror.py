"""Mirror traffic: the mirror gets its share in the background; the client only ever sees the primary."""

from __future__ import annotations

import json
import time

from gateway_fixtures import Client, control_call, make_config, refused_url, route, wait_until


def _send(port: int, count: int, headers=None):
    client = Client(port)
    answers = []
    for _ in range(count):
        started = time.perf_counter()
        status, response_headers, _body = client.call(body={"data": 1}, headers=headers)
        answers.append((status, response_headers["azureml-model-deployment"], time.perf_counter() - started))
    client.close()
    return answers


def test_mirror_receives_its_share_and_the_client_never_sees_it(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green")
    deployments = {"blue": route(blue.url), "green": route(green.url)}
    config = make_config(deployments, {"blue": 100}, mirror_traffic={"green": 20})
    gateway = gateways(config)
    answers = _send(gateway.port, 500)
    assert {(status, who) for status, who, _ in answers} == {(200, "blue")}
    assert wait_until(lambda: gateway.state().mirror.pending == 0)
    assert 60 <= green.hits <= 140  # 20% of 500, binomial sd ~9
    assert blue.hits == 500
    assert green.requests[0][3] == json.dumps({"data": 1}).encode()
    state = json.loads(control_call(gateway, "GET", "/__localep/state")[2])
    assert state["mirror"]["deployment"] == "green"
    assert state["mirror"]["stats"]["status_counts"] == {"200": green.hits}
    assert state["deployments"]["green"]["stats"]["requests"] == 0  # mirrored copies are counted apart


def test_mirror_down_costs_the_client_nothing_and_is_counted(upstreams, gateways):
    blue = upstreams("blue")
    deployments = {"blue": route(blue.url), "green": route(refused_url())}
    config = make_config(deployments, {"blue": 100}, mirror_traffic={"green": 50})
    gateway = gateways(config)
    answers = _send(gateway.port, 100)
    assert all(status == 200 and who == "blue" for status, who, _ in answers)
    assert wait_until(lambda: gateway.state().mirror.pending == 0)
    mirror = gateway.mirror_stats.snapshot()
    assert mirror.requests > 20
    assert set(mirror.status_counts) == {"503"} and mirror.errors == mirror.requests
    assert mirror.error_reasons == {"ModelUnreachable": mirror.requests}


def test_slow_mirror_does_not_slow_the_client(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green", delay_s=0.5)
    deployments = {"blue": route(blue.url), "green": route(green.url)}
    config = make_config(deployments, {"blue": 100}, mirror_traffic={"green": 50})
    gateway = gateways(config)
    answers = _send(gateway.port, 200)
    latencies = sorted(seconds for _, _, seconds in answers)
    assert all(status == 200 and who == "blue" for status, who, _ in answers)
    assert latencies[len(latencies) // 2] < 0.05 and latencies[-1] < 0.25
    assert green.hits >= 1  # the mirror was busy meanwhile


def test_pinned_requests_are_not_mirrored(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green")
    deployments = {"blue": route(blue.url), "green": route(green.url)}
    config = make_config(deployments, {"blue": 100}, mirror_traffic={"green": 50})
    gateway = gateways(config)
    _send(gateway.port, 100, headers={"azureml-model-deployment": "blue"})
    time.sleep(0.1)
    assert green.hits == 0 and gateway.mirror_stats.snapshot().requests == 0
