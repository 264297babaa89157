"""The endpoint's typed state file: round trip, 0600, and a damaged file read as a fresh endpoint."""

from __future__ import annotations

import json
import stat

import pytest

from localep.runtime import state
from localep.runtime.state import EndpointState, GatewayRecord, load_state, recorded_gateways, remembered_port, save_state


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path))
    return tmp_path


def test_round_trip_is_private_and_readable_by_older_readers(home):
    record = GatewayRecord(pid=42, port=21000, config="/c.json", log="/g.log", control="/control.sock")
    save_state("ep", EndpointState(port=21000, keys={"primary": "p", "secondary": "s"}, gateway=record))
    path = home / "endpoints" / "ep" / "state.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["gateway"]["pid"] == 42  # the shape tests and tools read
    assert load_state("ep") == EndpointState(port=21000, keys={"primary": "p", "secondary": "s"}, gateway=record)
    assert remembered_port("ep") == 21000
    assert recorded_gateways() == {"ep": record}


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"port": "x", "keys": 3, "gateway": {"pid": 1}}'])
def test_a_damaged_file_is_a_fresh_endpoint(home, text):
    path = state.endpoint_dir("ep") / "state.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert load_state("ep") == EndpointState()
    assert recorded_gateways() == {}


def test_no_file_at_all(home):
    assert load_state("never-ran") == EndpointState()
    assert remembered_port("never-ran") is None


def test_the_traffic_split_is_kept_with_the_keys(home):
    save_state("ep", EndpointState(keys={"primary": "p"}, traffic={"blue": 90, "green": 10}, mirror_traffic={"green": 5}))
    assert load_state("ep") == EndpointState(keys={"primary": "p"}, traffic={"blue": 90, "green": 10},
                                             mirror_traffic={"green": 5})


def test_set_shares_records_the_split_of_an_endpoint_that_does_not_run(home):
    from localep.runtime.gateway_link import endpoint_shares, set_shares

    set_shares("ep", {"blue": 100, "green": 0}, {"green": 10, "blue": 0})
    assert endpoint_shares("ep") == ({"blue": 100, "green": 0}, {"green": 10})
    assert load_state("ep").gateway is None
