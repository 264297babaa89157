"""The cloud's traffic rules, checked before a local endpoint changes."""

from __future__ import annotations

import pytest

from localep.az.errors import AzError, AzExit
from localep.az.online import _check_shares, parse_split
from localep.az.store import DeploymentRecord, EndpointRecord


def endpoint(*deployments: str) -> EndpointRecord:
    return EndpointRecord(name="ep", deployments={d: DeploymentRecord(name=d, file="x.yml") for d in deployments})


def test_traffic_strings_as_az_takes_them():
    assert parse_split("blue=90 green=10", "--traffic") == {"blue": 90, "green": 10}
    assert parse_split("blue=90,green=10", "--traffic") == {"blue": 90, "green": 10}
    assert parse_split("", "--traffic") == {}
    with pytest.raises(AzError) as caught:
        parse_split("blue:90", "--traffic")
    assert caught.value.exit_code == AzExit.USAGE


@pytest.mark.parametrize("traffic, mirror, message", [
    ({"blue": 60, "green": 50}, {}, "adds up to 110%"),
    ({"red": 10}, {}, "traffic names deployment 'red', which endpoint ep does not have (known: blue, green)"),
    ({"blue": 100}, {"green": 60}, "must be at most 50%"),
    ({"blue": 100}, {"green": 10, "blue": 5}, "may receive mirrored traffic"),
])
def test_rejected_splits(traffic, mirror, message):
    with pytest.raises(AzError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _check_shares(endpoint("blue", "green"), traffic, mirror)


def test_accepted_splits():
    _check_shares(endpoint("blue", "green"), {"blue": 90, "green": 10}, {})
    _check_shares(endpoint("blue", "green"), {"blue": 100, "green": 0}, {"green": 10})
    _check_shares(endpoint("blue"), {"blue": 100}, {"blue": 0})


def test_an_older_record_that_held_the_split_still_loads(tmp_path, monkeypatch):
    import json

    from localep.az import store

    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path))
    path = tmp_path / "az" / store.ONLINE / "ep.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"name": "ep", "traffic": {"blue": 100}, "mirror_traffic": {}, "deployments": {}}))
    record = store.load_endpoint("ep")
    assert record is not None and record.name == "ep"
