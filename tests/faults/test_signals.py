"""Stop signals other than Ctrl-C: an IDE's stop button, `timeout` and CI runners send SIGTERM; a closed terminal
sends SIGHUP. Foreground `up` must treat them like Ctrl-C: everything it started removed, exit 128 + signal."""

from __future__ import annotations

import signal

import pytest

from faults.conftest import gateway_of

pytestmark = pytest.mark.docker


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_to_foreground_up_removes_everything(cli, project, docker_client, localep_home, signum, code):
    name = (project / "name").read_text()
    process = cli.popen("up", str(project / "blue-deployment.yml"), "--no-reload")
    try:
        line = process.stdout.readline().decode().strip()
        assert line.startswith("http://"), line
        assert docker_client.containers.list(filters={"label": f"localep.endpoint={name}"})
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, stderr.decode()
    assert docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"}) == []
    assert gateway_of(localep_home, name) is None, "the gateway must go with the last deployment"
    assert "interrupted" in stderr.decode()
