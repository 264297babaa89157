"""The gateway as the CLI runs it: a detached daemon process, found again by port, stopped by pid."""

from __future__ import annotations

import json
import os
import socket

import pytest
from gateway_fixtures import call, make_config, replace, route

from localep.errors import LocalepError, PortInUse
from localep.gateway.config import load_config, save_config
from localep.gateway.process import (
    GatewayRejected,
    GatewayUnreachable,
    control,
    gateway_state,
    start_gateway,
    stop_gateway,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_starts_serves_changes_live_and_stops(upstreams, tmp_path):
    blue, green = upstreams("blue"), upstreams("green")
    config = make_config({"blue": route(blue.url), "green": route(green.url)}, {"blue": 100})
    config = replace(config, port=_free_port())
    config_path, log_path = tmp_path / "gateway.json", tmp_path / "logs" / "gateway.log"
    save_config(config, config_path)
    pid = start_gateway(config_path, log_path)
    try:
        state = gateway_state(config.port)
        assert state["pid"] == pid and state["endpoint"] == "my-endpoint"
        assert os.getsid(pid) == pid  # its own session: closing the terminal does not stop it
        status, headers, _ = call(config.port, body={"x": 1})
        assert (status, headers["azureml-model-deployment"]) == (200, "blue")
        control(config.port, "PUT", "traffic", {"green": 100})
        assert call(config.port)[1]["azureml-model-deployment"] == "green"
        assert load_config(config_path).traffic == {"green": 100}
        assert len(load_config(config_path).token_secret) == 64
        with pytest.raises(GatewayRejected, match="at most 50%"):
            control(config.port, "PUT", "/__localep/mirror", {"blue": 80})
    finally:
        assert stop_gateway(pid) is True
    with pytest.raises(GatewayUnreachable):
        gateway_state(config.port, timeout_s=0.5)
    assert stop_gateway(pid) is False
    log = log_path.read_text()
    assert "deployment=blue status=200" in log and "stopping" in log


def test_daemon_that_cannot_bind_fails_with_its_log(upstreams, tmp_path):
    blue = upstreams("blue")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        config = make_config({"blue": route(blue.url)}, {"blue": 100})
        config = replace(config, port=taken.getsockname()[1])
        save_config(config, tmp_path / "gateway.json")
        with pytest.raises(PortInUse) as error:
            start_gateway(tmp_path / "gateway.json", tmp_path / "gateway.log")
    assert "already in use" in error.value.detail


def test_daemon_with_a_broken_config_fails_before_starting(tmp_path):
    (tmp_path / "gateway.json").write_text(json.dumps({"endpoint": "ep", "port": 1, "traffic": {"x": 10}}))
    with pytest.raises(LocalepError, match=r"gateway\.json.*'x'"):
        start_gateway(tmp_path / "gateway.json", tmp_path / "gateway.log")
