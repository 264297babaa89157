"""Traffic split, pinning and round-robin through a real gateway in front of real upstream servers."""

from __future__ import annotations

import json
from collections import Counter

from gateway_fixtures import Client, call, make_config, route


def test_split_of_2000_requests_follows_70_30(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green")
    gateway = gateways(make_config({"blue": route(blue.url), "green": route(green.url)}, {"blue": 70, "green": 30}))
    client = Client(gateway.port)
    answered = Counter()
    for _ in range(2000):
        status, headers, body = client.call(body={"data": [1]})
        assert status == 200
        assert json.loads(body)["deployment"] == headers["azureml-model-deployment"]
        answered[headers["azureml-model-deployment"]] += 1
    client.close()
    assert abs(answered["blue"] / 2000 - 0.70) <= 0.04
    assert answered["blue"] + answered["green"] == 2000
    assert (blue.hits, green.hits) == (answered["blue"], answered["green"])


def test_pin_header_reaches_a_deployment_at_zero_percent(upstreams, gateways):
    blue, green = upstreams("blue"), upstreams("green")
    gateway = gateways(make_config({"blue": route(blue.url), "green": route(green.url)}, {"blue": 100, "green": 0}))
    for _ in range(5):
        status, headers, body = call(gateway.port, body={"x": 1}, headers={"azureml-model-deployment": "green"})
        assert (status, headers["azureml-model-deployment"], json.loads(body)["deployment"]) == (200, "green", "green")
    assert (blue.hits, green.hits) == (0, 5)


def test_pinning_an_unknown_deployment_is_404_naming_the_known_ones(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    status, headers, body = call(gateway.port, headers={"azureml-model-deployment": "red"})
    message = json.loads(body)["error"]["message"]
    assert status == 404 and "'red'" in message and "blue" in message
    assert "azureml-model-deployment" not in headers and blue.hits == 0


def test_no_deployment_with_positive_weight_is_404_with_a_json_error(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 0}))
    status, headers, body = call(gateway.port, body={"x": 1})
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "NoValidDeployments" and blue.hits == 0


def test_instances_of_a_deployment_take_turns(upstreams, gateways):
    first, second = upstreams("blue-0"), upstreams("blue-1")
    gateway = gateways(make_config({"blue": route(first.url, second.url)}, {"blue": 100}))
    client = Client(gateway.port)
    for _ in range(10):
        assert client.call()[0] == 200
    assert (first.hits, second.hits) == (5, 5)


def test_request_reaches_the_container_as_sent_minus_credentials(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    status, _, _body = call(
        gateway.port,
        "POST",
        "/score?verbose=1",
        body=b'{"data": [[1, 2]]}',
        headers={"Content-Type": "application/json", "x-request-id": "abc", "Authorization": "Bearer k"},
    )
    method, path, headers, received = blue.requests[0]
    assert (status, method, path, received) == (200, "POST", "/score?verbose=1", b'{"data": [[1, 2]]}')
    assert headers["x-request-id"] == "abc" and headers["Content-Type"] == "application/json"
    assert "Authorization" not in headers


def test_liveness_and_swagger_routes_pass_through(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    assert call(gateway.port, "GET", "/")[0::2] == (200, b"Healthy")
    assert call(gateway.port, "GET", "/swagger.json")[0] == 200
    assert blue.requests[-1][:2] == ("GET", "/swagger.json")


def test_http_1_0_clients_and_chunked_bodies_are_served(upstreams, gateways):
    import socket

    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(b"POST /score HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in answer
    assert blue.requests[0][3] == b"abc"
