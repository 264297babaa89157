"""The in-container receiver, spoken to as azureml-ai-monitoring's sender does."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import Iterator

import pytest
from datacollect_fixtures import package_headers

from localep.datacollect.receiver import CollectionSettings, Receiver, ReceiverSettings, package_config, start_receiver


def settings(tmp_path, port: int = 0) -> ReceiverSettings:
    return ReceiverSettings(
        port=port, source="/src", writer="localep-ep-blue", rolling_rate="hour",
        config_path=str(tmp_path / "cfg" / "config.json"),
        collections={
            "model_inputs": CollectionSettings(str(tmp_path / "inputs"), True, 50),
            "model_outputs": CollectionSettings("", False, 50),
            "request": CollectionSettings("", True, 50),
        },
    )


@pytest.fixture
def receiver(tmp_path) -> Iterator[Receiver]:
    server = Receiver(settings(tmp_path), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def post(port: int, headers: dict, body: bytes, path: str = "/modeldata/log") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", path, body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_an_acknowledged_event_is_already_on_disk(receiver, tmp_path):
    assert post(receiver.server_port, package_headers("c1"), b'[{"x":1}]') == 200
    files = list((tmp_path / "inputs").rglob("localep-ep-blue.jsonl"))
    assert len(files) == 1
    event = json.loads(files[0].read_text())
    assert (event["data"], event["correlationid"], event["source"]) == ([{"x": 1}], "c1", "/src")


def test_disabled_and_unknown_collections_are_refused(receiver, tmp_path):
    for name in ("model_outputs", "other"):
        headers = dict(package_headers(), **{"ce-type": f"azureml.inference.{name}"})
        assert post(receiver.server_port, headers, b"[]") == 404
    assert post(receiver.server_port, package_headers(), b"[]", path="/elsewhere") == 404
    assert receiver.refused == 2
    assert not list(tmp_path.rglob("*.jsonl"))


def test_the_package_config_enables_and_samples_as_the_yaml_says(tmp_path):
    assert package_config(settings(tmp_path)) == {"runMode": "cloud", "collections": {
        "model_inputs": {"enabled": True, "sampleRatePercentage": 50},
        "model_outputs": {"enabled": False, "sampleRatePercentage": 50},
        "request": {"enabled": True, "sampleRatePercentage": 50},
    }}


def test_start_receiver_writes_the_config_file_first(tmp_path):
    chosen = settings(tmp_path)
    server = start_receiver(chosen.to_json())
    try:
        config = tmp_path / "cfg" / "config.json"
        assert json.loads(config.read_text()) == package_config(chosen)
        assert config.stat().st_mode & 0o777 == 0o600
        assert post(server.server_port, package_headers(), b'[{"y":2}]') == 200
    finally:
        server.shutdown()
        server.server_close()


def test_one_connection_carries_several_events_and_garbage_gets_a_400_and_the_end(receiver, tmp_path):
    connection = http.client.HTTPConnection("127.0.0.1", receiver.server_port, timeout=5)
    for index in range(3):
        connection.request("POST", "/modeldata/log", body=b'[{"n":%d}]' % index, headers=package_headers(f"k{index}"))
        assert connection.getresponse().read() == b'{"status":"accepted"}'
    connection.close()
    with socket.create_connection(("127.0.0.1", receiver.server_port), timeout=5) as raw:
        raw.sendall(b"NOT HTTP\r\n\r\n")
        answer = b"".join(iter(lambda: raw.recv(4096), b""))
    assert answer == b'{"status":"dropped","code":400}'  # HTTP/0.9 style: the garbage named no version
    lines = [json.loads(line) for path in tmp_path.rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert [event["correlationid"] for event in lines] == ["k0", "k1", "k2"]


def test_a_length_beyond_the_limit_is_a_400_before_any_read(receiver):
    with socket.create_connection(("127.0.0.1", receiver.server_port), timeout=5) as raw:
        raw.sendall(b"POST /modeldata/log HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        answer = b"".join(iter(lambda: raw.recv(4096), b""))
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_silent_client_holds_the_others_up_for_the_connection_timeout_at_most(receiver, tmp_path):
    import time

    from localep.datacollect.receiver import CONNECTION_TIMEOUT_S

    with socket.create_connection(("127.0.0.1", receiver.server_port), timeout=5):
        started = time.monotonic()
        assert post(receiver.server_port, package_headers("after-silence"), b'[{"n":1}]') == 200
        waited = time.monotonic() - started
    assert CONNECTION_TIMEOUT_S * 0.5 <= waited <= CONNECTION_TIMEOUT_S + 2.0
