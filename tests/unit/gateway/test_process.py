"""The gateway as the CLI runs it: a detached, supervised daemon, changed through its control socket, stopped by pid."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest
from gateway_fixtures import call, make_config, replace, route

from localep.errors import LocalepError, PortInUse
from localep.gateway.client import ControlClient, GatewayRejected, GatewayUnreachable
from localep.gateway.config import load_config
from localep.gateway.process import start_gateway, stop_gateway


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_starts_serves_changes_live_and_stops(upstreams, tmp_path):
    blue, green = upstreams("blue"), upstreams("green")
    config = make_config({"blue": route(blue.url), "green": route(green.url)}, {"blue": 100})
    config = replace(config, port=_free_port(), control_socket=str(tmp_path / "control.sock"))
    config_path, log_path = tmp_path / "gateway.json", tmp_path / "logs" / "gateway.log"
    pid = start_gateway(config, config_path, log_path)
    control = ControlClient(tmp_path / "control.sock")
    try:
        state = control.state()
        assert state.supervisor == pid and state.endpoint == "my-endpoint"
        assert os.stat(tmp_path / "control.sock").st_mode & 0o077 == 0  # only its user may connect
        assert os.getsid(pid) == pid  # its own session: closing the terminal does not stop it
        status, headers, _ = call(config.port, body={"x": 1})
        assert (status, headers["azureml-model-deployment"]) == (200, "blue")
        control.set_traffic({"green": 100})
        assert call(config.port)[1]["azureml-model-deployment"] == "green"
        assert load_config(config_path).traffic == {"green": 100}
        assert len(load_config(config_path).token_secret) == 64
        with pytest.raises(GatewayRejected, match="at most 50%"):
            control.set_mirror({"blue": 80})
        # The supervisor brings a killed gateway back, with the config it had.
        os.kill(state.pid, 9)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                restarted = control.state()
                if restarted.pid != state.pid:
                    break
            except GatewayUnreachable:
                pass
            time.sleep(0.05)
        assert restarted.pid != state.pid and restarted.config.traffic == {"green": 100}
        assert call(config.port)[0] == 200
    finally:
        assert stop_gateway(pid) is True
    with pytest.raises(GatewayUnreachable):
        ControlClient(tmp_path / "control.sock", timeout_s=0.5).state()
    assert stop_gateway(pid) is False
    log = log_path.read_text()
    assert "deployment=blue status=200" in log and "stopping" in log


def test_daemon_that_cannot_bind_fails_with_its_log(upstreams, tmp_path):
    blue = upstreams("blue")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        config = make_config({"blue": route(blue.url)}, {"blue": 100})
        config = replace(config, port=taken.getsockname()[1], control_socket=str(tmp_path / "control.sock"))
        with pytest.raises(PortInUse) as error:
            start_gateway(config, tmp_path / "gateway.json", tmp_path / "gateway.log")
    assert "already in use" in error.value.detail


def test_a_broken_config_file_is_refused_naming_the_file(tmp_path):
    (tmp_path / "gateway.json").write_text(json.dumps({"endpoint": "ep", "port": 1, "traffic": {"x": 10}}))
    with pytest.raises(LocalepError, match=r"gateway\.json.*'x'"):
        load_config(tmp_path / "gateway.json")
