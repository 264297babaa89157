"""The gateway config: the cloud's traffic and mirror rules, the file round trip, errors naming file and line."""

from __future__ import annotations

import json

import pytest

from localep.errors import SpecError
from localep.gateway.config import (
    DeploymentRoute,
    check_mirror,
    check_traffic,
    config_from_dict,
    load_config,
    save_config,
    with_token_secret,
)

DEPLOYMENTS = {"blue": DeploymentRoute(["http://127.0.0.1:1"]), "green": DeploymentRoute(["http://127.0.0.1:2"])}


def test_traffic_rules_follow_the_cloud():
    assert check_traffic({"blue": 60, "green": 40}, DEPLOYMENTS) == {"blue": 60, "green": 40}
    with pytest.raises(ValueError, match="110%"):
        check_traffic({"blue": 60, "green": 50}, DEPLOYMENTS)
    with pytest.raises(ValueError, match=r"'red'.*known: blue, green"):
        check_traffic({"red": 10}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="whole percentage"):
        check_traffic({"blue": 10.5}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="whole percentage"):
        check_traffic({"blue": -1}, DEPLOYMENTS)


def test_mirror_rules_follow_the_cloud():
    assert check_mirror({"green": 50, "blue": 0}, DEPLOYMENTS) == {"green": 50}
    with pytest.raises(ValueError, match="at most 50%"):
        check_mirror({"green": 51}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="at most 1 may"):
        check_mirror({"green": 10, "blue": 10}, DEPLOYMENTS)


def test_config_round_trips_through_its_file_with_defaults_filled(tmp_path):
    config = config_from_dict(
        {
            "endpoint": "ep",
            "port": 8080,
            "keys": {"primary": "a", "secondary": "b"},
            "traffic": {"blue": 100},
            "deployments": {"blue": {"upstreams": ["http://127.0.0.1:5001"], "liveness": {"period": 3}}},
        }
    )
    route = config.deployments["blue"]
    assert (route.request_timeout_ms, route.max_concurrent_requests_per_instance, route.max_queue_wait_ms) == (
        5000,
        1,
        500,
    )
    assert route.liveness.period == 3 and route.liveness.failure_threshold == 30 and route.capacity == 2
    path = tmp_path / "gateway.json"
    save_config(config, path)
    assert load_config(path) == config


def test_bad_config_files_name_the_file_and_line(tmp_path):
    path = tmp_path / "gateway.json"
    path.write_text('{\n  "endpoint": "ep",\n  "port": 1,\n}\n')
    with pytest.raises(SpecError, match="not valid JSON") as error:
        load_config(path)
    assert error.value.location.file == path and error.value.location.line == 4
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "auth_mode": "password"}))
    with pytest.raises(SpecError, match="auth_mode must be one of"):
        load_config(path)
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "deployments": {"blue": {"upstreams": []}}}))
    with pytest.raises(SpecError, match="non-empty list"):
        load_config(path)
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "deployments": {"blue": {"upstream": ["x"]}}}))
    with pytest.raises(SpecError, match="unknown fields: upstream"):
        load_config(path)


def test_token_secret_is_generated_once():
    config = config_from_dict({"endpoint": "ep", "port": 1})
    assert config.token_secret == ""
    secured = with_token_secret(config)
    assert len(secured.token_secret) == 64 and with_token_secret(secured) is secured

