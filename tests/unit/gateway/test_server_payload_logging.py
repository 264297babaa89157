"""Payload logging: the endpoint writes request/response lines carrying the x-request-id its client got."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

from gateway_fixtures import Client, make_config, route, wait_until

from localep.datacollect.payload import PayloadLogging
from localep.gateway.config import Keys, config_from_dict

KEY = "primary-key-never-written"


def lines(folder: Path) -> List[dict]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def logging_to(tmp_path: Path, rate: float = 1.0) -> PayloadLogging:
    return PayloadLogging(source="/local/ep/blue", rolling_rate="hour", sampling_rate=rate, writer="endpoint-ep",
                          request_folder=str(tmp_path / "request"), response_folder=str(tmp_path / "response"),
                          capture_headers=["X-Custom", "Authorization", "x-api-key"])


def test_every_exchange_is_logged_with_the_request_id_the_client_got(upstreams, gateways, tmp_path):
    blue = upstreams("blue")
    config = make_config({"blue": route(blue.url, payload_logging=logging_to(tmp_path))}, {"blue": 100},
                         auth_mode="key", keys=Keys(KEY, "secondary"))
    gateway = gateways(config)
    client = Client(gateway.port)
    ids = []
    for index in range(5):
        headers = {"Authorization": f"Bearer {KEY}", "X-Custom": f"c{index}", "x-api-key": "also-secret",
                   "Content-Type": "application/json"}
        if index == 0:
            headers["x-request-id"] = "client-chosen-id"
        status, answer_headers, _ = client.call(body={"data": [index]}, headers=headers)
        assert status == 200
        ids.append(answer_headers["x-request-id"])
    client.close()
    assert ids[0] == "client-chosen-id" and len(set(ids)) == 5
    assert [request[2]["x-request-id"] for request in blue.requests] == ids  # forwarded to the deployment
    assert wait_until(lambda: len(lines(tmp_path / "response")) == 5)
    requests, responses = lines(tmp_path / "request"), lines(tmp_path / "response")
    assert [event["xrequestid"] for event in requests] == ids == [event["correlationid"] for event in responses]
    assert [event["data"] for event in requests] == [{"data": [index]} for index in range(5)]
    assert requests[0]["type"] == "azureml.inference.request" and responses[0]["type"] == "azureml.inference.response"
    assert requests[0]["headers"] == {"X-Custom": "c0"}
    assert responses[0]["data"]["deployment"] == "blue"
    assert (requests[0]["path"], requests[0]["method"], requests[0]["datacontenttype"]) == ("/score", "POST",
                                                                                          "application/json")
    written = "".join(path.read_text() for path in tmp_path.rglob("*.jsonl"))
    assert KEY not in written and "also-secret" not in written
    files = list(tmp_path.rglob("*.jsonl"))
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    assert {path.name for path in files} == {"endpoint-ep.jsonl"}


def test_sampling_zero_logs_nothing_and_the_client_still_gets_an_id(upstreams, gateways, tmp_path):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url, payload_logging=logging_to(tmp_path, 0.0))}, {"blue": 100}))
    client = Client(gateway.port)
    for _ in range(20):
        status, headers, _ = client.call(body={"data": 1})
        assert status == 200 and headers["x-request-id"]
    client.close()
    assert wait_until(lambda: blue.hits == 20)
    assert wait_until(lambda: gateway.state() is not None and gateway._exchanges.pending() == 0)
    assert lines(tmp_path) == []


def test_payload_logging_survives_the_saved_config(tmp_path):
    config = make_config({"blue": route("http://127.0.0.1:1", payload_logging=logging_to(tmp_path))})
    assert config_from_dict(json.loads(json.dumps(config.to_dict()))) == config
