"""The endpoint answers like the cloud: 408, 424, 429, 502, 503 instead of the container's own answers."""

from __future__ import annotations

import json
import threading
import time

import pytest
from gateway_fixtures import call, make_config, refused_url, route

from serving import accepting


def test_container_error_becomes_424_with_the_model_status_in_headers(upstreams, gateways):
    blue = upstreams("blue", status=500)
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    status, headers, body = call(gateway.port, body={"x": 1})
    assert status == 424
    assert headers["ms-azureml-model-error-statuscode"] == "500"
    assert headers["ms-azureml-model-error-reason"] == "model_error"
    assert headers["azureml-model-deployment"] == "blue"
    assert b"unexpected error occurred in scoring script" in body


def test_raw_errors_pass_the_container_answer_through(upstreams, gateways):
    blue = upstreams("blue", status=500)
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}, raw_errors=True))
    status, headers, body = call(gateway.port, body={"x": 1})
    assert status == 500 and "ms-azureml-model-error-statuscode" not in headers
    assert body == b'{"message": "An unexpected error occurred in scoring script."}'


def test_slow_container_gets_408_after_request_timeout(upstreams, gateways):
    blue = upstreams("blue", delay_s=1.0)
    gateway = gateways(make_config({"blue": route(blue.url, request_timeout_ms=200)}, {"blue": 100}))
    started = time.perf_counter()
    status, _, body = call(gateway.port, body={"x": 1})
    elapsed = time.perf_counter() - started
    assert status == 408 and json.loads(body)["error"]["code"] == "RequestTimeout"
    assert 0.19 <= elapsed < 0.8


def test_requests_past_twice_the_concurrency_wait_then_get_429(upstreams, gateways):
    blue = upstreams("blue", delay_s=0.4)
    settings = dict(max_concurrent_requests_per_instance=1, max_queue_wait_ms=50)
    gateway = gateways(make_config({"blue": route(blue.url, **settings)}, {"blue": 100}))
    statuses = []
    lock = threading.Lock()

    def send() -> None:
        status = call(gateway.port, body={"x": 1})[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 429, 429, 429]  # capacity 2 x 1 x 1 instance
    assert blue.hits == 2
    assert gateway.table.pools["blue"].stats.snapshot().error_reasons == {"TooManyRequests": 3}


def test_queued_request_gets_a_slot_freed_within_max_queue_wait(upstreams, gateways):
    blue = upstreams("blue", delay_s=0.1)
    settings = dict(max_concurrent_requests_per_instance=1, max_queue_wait_ms=2000)
    gateway = gateways(make_config({"blue": route(blue.url, **settings)}, {"blue": 100}))
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(call(gateway.port)[0])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200, 200]


def test_refused_connection_is_503_and_another_instance_is_tried_first(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(
        make_config({"blue": route(refused_url(), blue.url), "down": route(refused_url())}, {"blue": 100})
    )
    assert [call(gateway.port)[0] for _ in range(4)] == [200] * 4
    assert blue.hits == 4
    status, _, body = call(gateway.port, headers={"azureml-model-deployment": "down"})
    assert status == 503 and "connection refused" in json.loads(body)["error"]["message"]


def test_deployment_without_healthy_instances_is_503(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    gateway.table.pools["blue"].instances[0].healthy = False
    status, _, body = call(gateway.port)
    assert status == 503 and json.loads(body)["error"]["code"] == "DeploymentUnhealthy" and blue.hits == 0


def test_agent_unavailable_503_passes_through_instead_of_424(upstreams, gateways):
    """localep's agent answers 503 while the code fails to load: the deployment is unavailable, not a model error."""
    blue = upstreams("blue", status=503, extra_headers={"X-Localep-Unavailable": "code-failed-to-load"})
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    status, headers, _ = call(gateway.port, body={"x": 1})
    assert status == 503
    assert "ms-azureml-model-error-statuscode" not in headers


def test_scoring_route_of_a_byoc_deployment_is_mapped_from_score(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url, scoring_path="/predict")}, {"blue": 100}))
    status, _, _ = call(gateway.port, path="/score?verbose=1", body={"x": 1})
    assert status == 200
    assert blue.requests[-1][1] == "/predict?verbose=1"


def _dropping_server(reset: bool):
    """A real listener that accepts and drops every connection without answering: a server that is going away
    (a gunicorn master exiting after a broken save, a container's port before its server listens)."""
    import socket as socket_module
    import struct

    def drop(connection: socket_module.socket) -> None:
        connection.recv(65536)
        if reset:
            connection.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()

    return accepting(drop, backlog=16)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_connection_dropped_without_an_answer_is_503_at_once(gateways, reset):
    listener = _dropping_server(reset)
    try:
        gateway = gateways(make_config({"blue": route(f"http://127.0.0.1:{listener.getsockname()[1]}")}, {"blue": 100}))
        status, _, body = call(gateway.port)
        assert status == 503 and json.loads(body)["error"]["code"] == "ModelUnreachable"
    finally:
        listener.close()
