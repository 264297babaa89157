"""Live changes through the control socket: validated like the cloud, persisted, applied without dropping requests."""

from __future__ import annotations

import json
import threading

import pytest
from gateway_fixtures import Client, call, control_call, make_config, route, wait_until

from localep.gateway.config import load_config, save_config
from localep.gateway.server import Gateway
from localep.gateway.status import GatewayStatus


def _put(gateway: Gateway, path: str, body):
    status, _, payload = control_call(gateway, "PUT", f"/__localep/{path}", body=body)
    return status, json.loads(payload)


@pytest.fixture
def blue_green(upstreams, gateways, tmp_path):
    blue, green = upstreams("blue"), upstreams("green")
    config = make_config({"blue": route(blue.url), "green": route(green.url)}, {"blue": 100})
    path = tmp_path / "gateway.json"
    save_config(config, path)
    return gateways(config, config_path=path), path, blue, green


def test_traffic_change_applies_at_once_and_is_persisted(blue_green):
    gateway, path, _blue, _green = blue_green
    status, state = _put(gateway, "traffic", {"blue": 0, "green": 100})
    assert status == 200 and state["config"]["traffic"] == {"blue": 0, "green": 100}
    assert call(gateway.port)[1]["azureml-model-deployment"] == "green"
    assert load_config(path).traffic == {"blue": 0, "green": 100}


@pytest.mark.parametrize(
    "route_name, body, message",
    [
        ("traffic", {"blue": 60, "green": 50}, "110%"),
        ("traffic", {"red": 10}, "'red'"),
        ("traffic", [1, 2], "JSON object"),
        ("mirror", {"green": 60}, "at most 50%"),
        ("mirror", {"green": 10, "blue": 10}, "at most 1 may"),
        ("mirror", {"red": 10}, "'red'"),
        ("deployments", {"name": "red"}, "upstreams"),
        ("deployments", {"name": "red", "upstreams": ["ftp://x:1"]}, "must look like"),
        ("record", {"path": 3}, "'path'"),
    ],
)
def test_invalid_changes_are_400_and_change_nothing(blue_green, route_name, body, message):
    gateway, path, _, _ = blue_green
    before = path.read_text()
    status, answer = _put(gateway, route_name, body)
    assert status == 400 and message in answer["error"]["message"]
    assert path.read_text() == before and gateway.table.config.traffic == {"blue": 100}


def test_unknown_control_routes_and_methods_say_what_exists(blue_green):
    gateway = blue_green[0]
    status, _, body = control_call(gateway, "GET", "/__localep/nope")
    assert status == 404 and "PUT /__localep/traffic" in json.loads(body)["error"]["message"]
    assert control_call(gateway, "POST", "/__localep/traffic", body={})[0] == 405
    assert control_call(gateway, "PUT", "/__localep/traffic", body=b"{not json")[0] == 400


def test_deployment_can_be_attached_pinned_and_removed_live(upstreams, blue_green):
    gateway, path, _blue, _green = blue_green
    red = upstreams("red")
    entry = {"name": "red", "upstreams": [red.url], "request_timeout_ms": 900}
    status, state = _put(gateway, "deployments", entry)
    assert status == 200 and state["deployments"]["red"]["instances"][0]["upstream"] == red.url
    assert load_config(path).deployments["red"].request_timeout_ms == 900
    assert call(gateway.port, headers={"azureml-model-deployment": "red"})[1]["azureml-model-deployment"] == "red"
    assert _put(gateway, "traffic", {"blue": 50, "red": 50})[0] == 200
    status, _, body = control_call(gateway, "DELETE", "/__localep/deployments/red")
    assert status == 200 and "red" not in json.loads(body)["deployments"]
    assert load_config(path).traffic == {"blue": 50}
    assert call(gateway.port, headers={"azureml-model-deployment": "red"})[0] == 404
    assert control_call(gateway, "DELETE", "/__localep/deployments/red")[0] == 404


def test_live_changes_under_load_drop_no_request(upstreams, blue_green):
    gateway, _, blue, green = blue_green
    results = []
    lock = threading.Lock()

    def load() -> None:
        client = Client(gateway.port)
        mine = [client.call(body={"n": index})[0] for index in range(150)]
        client.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    spare = upstreams("blue-replacement")
    flips = 0
    while any(thread.is_alive() for thread in threads):
        flips += 1
        share = (flips * 37) % 101
        assert _put(gateway, "traffic", {"blue": share, "green": 100 - share})[0] == 200
        replacement = spare.url if flips % 2 else blue.url
        assert _put(gateway, "deployments", {"name": "blue", "upstreams": [replacement]})[0] == 200
    for thread in threads:
        thread.join()
    assert len(results) == 600 and set(results) == {200}
    assert flips >= 3
    assert blue.hits + green.hits + spare.hits == 600


def test_state_counts_requests_errors_and_latency_per_deployment(upstreams, gateways):
    good, bad = upstreams("good"), upstreams("bad", status=500)
    gateway = gateways(make_config({"good": route(good.url), "bad": route(bad.url)}, {"good": 100}))
    client = Client(gateway.port)
    for _ in range(7):
        client.call()
    for _ in range(3):
        client.call(headers={"azureml-model-deployment": "bad"})
    state = json.loads(control_call(gateway, "GET", "/__localep/state")[2])
    good_stats, bad_stats = state["deployments"]["good"]["stats"], state["deployments"]["bad"]["stats"]
    assert (good_stats["requests"], good_stats["errors"], good_stats["status_counts"]) == (7, 0, {"200": 7})
    assert (bad_stats["requests"], bad_stats["errors"], bad_stats["status_counts"]) == (3, 3, {"424": 3})
    assert bad_stats["error_reasons"] == {"model_error": 3}
    latency = good_stats["latency_ms"]
    assert latency["window"] == 7 and 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert state["pid"] > 0 and "token_secret" not in state["config"] and "keys" not in state["config"]
    assert state["deployments"]["good"]["instances"][0]["healthy"] is True


def test_exchanges_reach_the_hook_after_the_client_got_its_answer(upstreams, gateways):
    blue = upstreams("blue")
    seen = []
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}), on_exchange=seen.append)
    status, _, body = call(gateway.port, "POST", "/score?x=1", body=b'{"a": 1}', headers={"X-Trace": "t1"})
    assert status == 200
    assert wait_until(lambda: len(seen) == 1)
    exchange = seen[0]
    assert (exchange["method"], exchange["path"], exchange["status"], exchange["deployment"]) == (
        "POST",
        "/score?x=1",
        200,
        "blue",
    )
    assert exchange["request_body"] == b'{"a": 1}' and exchange["response_body"] == body
    assert exchange["request_headers"]["X-Trace"] == "t1"
    assert exchange["response_headers"]["Content-Type"] == "application/json"
    assert exchange["latency_ms"] > 0 and exchange["time"].endswith("Z")


def test_record_path_is_switched_live_through_the_opener(upstreams, gateways, tmp_path):
    blue = upstreams("blue")
    opened, written = [], []

    def open_record(path: str):
        opened.append(path)
        return written.append

    gateway: Gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}), open_record=open_record)
    call(gateway.port)
    target = str(tmp_path / "rec.jsonl")
    assert _put(gateway, "record", {"path": target})[0] == 200
    call(gateway.port)
    assert _put(gateway, "record", {"path": None})[0] == 200
    call(gateway.port)
    assert wait_until(lambda: gateway.state().recording.pending == 0)
    assert opened == [target] and len(written) == 1 and written[0]["status"] == 200


def test_record_path_writes_the_replay_format(upstreams, gateways, tmp_path):
    record = pytest.importorskip("localep.exchanges")
    blue = upstreams("blue")
    target = tmp_path / "rec.jsonl"
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}, record_path=str(target)))
    call(gateway.port, body={"data": [1]}, headers={"Authorization": "Bearer secret"})
    assert wait_until(lambda: target.exists() and target.read_text().count("\n") == 1)
    (exchange,) = record.read_exchanges(target)
    assert exchange.status == 200 and exchange.deployment == "blue" and exchange.request_body == b'{"data": [1]}'
    assert "secret" not in target.read_text()


def test_the_state_crosses_the_control_channel_typed_and_without_secrets(upstreams, gateways):
    blue = upstreams("blue")
    state = gateways(make_config({"blue": route(blue.url)}, {"blue": 100})).state()
    wire = json.loads(json.dumps(state.to_dict()))
    assert "keys" not in wire["config"] and "token_secret" not in wire["config"]
    assert GatewayStatus.from_dict(wire) == state
    assert state.deployments["blue"].instances[0].upstream == blue.url and state.config.traffic == {"blue": 100}
