"""Bad input through the real CLI: a clear message naming file and line, a non-zero exit, no container left."""

from __future__ import annotations

import re
import signal
import time

import pytest

from localep.exitcodes import ExitCode
from spec_error_cases import SPEC_ERRORS, edit, line_of


@pytest.mark.parametrize("case", sorted(SPEC_ERRORS))
def test_spec_error_names_file_and_line(cli, project, docker_client, case):
    old, new, file_name, line_needle, message = SPEC_ERRORS[case]
    path = project / file_name
    edit(path, old, new)
    result = cli.run("up", str(path), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.SPEC, stderr
    assert str(path) in stderr or path.name in stderr, stderr
    if line_needle is not None:
        assert f":{line_of(path, line_needle)}:" in stderr, stderr
    assert re.search(message, stderr), stderr
    assert "Traceback" not in stderr


def test_endpoint_name_mismatch_is_an_error(cli, project):
    edit(project / "endpoint.yml", f"name: {(project / 'name').read_text()}\n", "name: some-other-endpoint\n")
    result = cli.run("up", str(project / "blue-deployment.yml"), "--endpoint", str(project / "endpoint.yml"))
    assert result.returncode == ExitCode.SPEC
    assert "endpoint.yml" in result.stderr.decode()


def test_missing_file_argument_is_a_usage_error(cli):
    result = cli.run("up", "no/such/deployment.yml")
    assert result.returncode == ExitCode.USAGE
    assert "no/such/deployment.yml" in result.stderr.decode()


def test_docker_down_is_a_clear_error(cli, project):
    env = dict(cli.env, DOCKER_HOST="unix:///tmp/localep-no-docker.sock")
    import subprocess

    result = subprocess.run(cli.argv("up", str(project / "blue-deployment.yml")), capture_output=True, env=env)
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.DOCKER_UNAVAILABLE, stderr
    assert "cannot reach the Docker engine" in stderr and "not running" in stderr
    assert "Traceback" not in stderr


def test_ctrl_c_mid_build_leaves_nothing_behind(cli, project, docker_client, base_image):
    """A Docker-context environment whose build takes long; SIGINT during it must clean up and exit 130."""
    context = project / "environment" / "slow"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base_image}\nRUN sleep 60 && echo {project.name}-{time.time()}\n")
    deployment = project / "blue-deployment.yml"
    text = deployment.read_text()
    start = text.index("environment:")
    end = text.index("instance_type:")
    deployment.write_text(text[:start] + "environment:\n  build:\n    path: environment/slow\n" + text[end:])
    before = {c.id for c in docker_client.containers.list(all=True, sparse=True)}
    process = cli.popen("build", str(deployment))
    deadline = time.monotonic() + 60
    seen = b""
    while b"sleep 60" not in seen:
        assert time.monotonic() < deadline, seen.decode()
        chunk = process.stderr.readline()
        assert chunk, "build ended before the slow step started"
        seen += chunk
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED
    deadline = time.monotonic() + 30
    while True:
        stray = {c.id for c in docker_client.containers.list(all=True, sparse=True)} - before
        if not stray or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not stray, "the interrupted build left intermediate containers behind"


def test_failed_build_names_the_step_and_shows_its_output(cli, project, base_image, docker_client):
    context = project / "environment" / "broken"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {base_image}\nRUN echo preparing\nRUN echo 'pip: no matching distribution for nosuchpkg' && exit 3\n")
    deployment = project / "blue-deployment.yml"
    text = deployment.read_text()
    deployment.write_text(text[:text.index("environment:")] + "environment:\n  build:\n    path: environment/broken\n"
                          + text[text.index("instance_type:"):])
    before = {c.id for c in docker_client.containers.list(all=True, sparse=True)}
    result = cli.run("up", str(deployment), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.BUILD, stderr
    assert "image build failed at step 3/3" in stderr, stderr
    assert "--- output of the failing step ---" in stderr
    assert "no matching distribution for nosuchpkg" in stderr.split("--- output of the failing step ---")[1]
    assert f"{deployment}:" in stderr
    # No build container is left behind (others' containers may come and go meanwhile on a shared engine).
    # Another developer's deployment (labelled for its own endpoint) is not ours.
    name = (project / "name").read_text()
    left = {c.id for c in docker_client.containers.list(all=True, sparse=True)
            if (c.attrs.get("Labels") or {}).get("localep.endpoint", name) == name} - before
    assert not left, [docker_client.containers.get(c).attrs["Config"] for c in left]


def test_set_overrides_reach_the_container(cli, project, docker_client):
    name = (project / "name").read_text()
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--json",
                     "--set", "environment_variables.FROM_SET=yes", "--set", "request_settings.request_timeout_ms=7000")
    assert result.returncode == 0, result.stderr.decode()
    container = docker_client.containers.get(f"localep-{name}-blue")
    env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
    assert env["FROM_SET"] == "yes" and env["SCORING_TIMEOUT_MS"] == "8000"
    cli.run("down", name)


def test_busy_debug_port_is_a_clear_error_and_leaves_nothing(cli, project, docker_client):
    import socket

    name = (project / "name").read_text()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--debug", "--debug-port", str(port))
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.PORT_IN_USE, stderr
    assert f"the debug port {port} on 127.0.0.1 is in use by process" in stderr
    assert "Traceback" not in stderr
    assert not docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})


def test_ctrl_c_while_waiting_for_a_slow_init_removes_everything(cli, project, docker_client, localep_home):
    name = (project / "name").read_text()
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace("    global model\n", "    global model\n    import time\n"
                                                                       "    time.sleep(120)\n", 1))
    process = cli.popen("up", str(project / "blue-deployment.yml"))
    deadline = time.monotonic() + 60
    while not docker_client.containers.list(filters={"label": f"localep.endpoint={name}"}):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED
    assert not docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})
    state = localep_home / "endpoints" / name / "state.json"
    assert not state.exists() or '"gateway": null' in state.read_text() or '"gateway"' not in state.read_text()
