"""`localep up` against the real engine and the real inference server."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time
from pathlib import Path

import requests

from conftest import rename_endpoint
from localep.exitcodes import ExitCode

EXPECTED = [58.0, 41.75]


def up_detached(cli, project: Path, *extra: str):
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--json", *extra)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_example_goes_up_answers_and_comes_down(cli, project, docker_client):
    name = (project / "name").read_text()
    summary = up_detached(cli, project)
    assert summary["endpoint"] == name
    assert summary["scoring_uri"].startswith("http://127.0.0.1:")

    answer = cli.run("invoke", name, "--request-file", str(project / "sample-request.json"), "--json")
    assert answer.returncode == 0, answer.stderr.decode()
    assert json.loads(answer.stdout)["body"] == EXPECTED

    container = docker_client.containers.get(summary["deployments"][0]["container"])
    env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
    assert env["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/numpy-regression-model/1"
    assert env["AML_APP_ROOT"] == "/var/azureml-app/onlinescoring"
    assert env["AZUREML_ENTRY_SCRIPT"] == "score.py"
    assert env["SCORING_TIMEOUT_MS"] == "6000"
    assert not container.attrs["HostConfig"]["PortBindings"], "nothing published: the endpoint is the one way in"
    address = container.attrs["NetworkSettings"]["IPAddress"]
    with requests.Session() as direct:
        direct.trust_env = False  # no proxy between the host and its containers
        keyless = direct.post(f"http://{address}:5001/score", data=b"{}", timeout=10)
    assert keyless.status_code == 403, "the container answers only its endpoint"
    unauthenticated = requests.post(summary["scoring_uri"], data=(project / "sample-request.json").read_bytes())
    assert unauthenticated.status_code == 401, "auth_mode: key wants a key, like the cloud"

    down = cli.run("down", name)
    assert down.returncode == 0
    assert not docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})
    again = cli.run("down", name)
    assert again.returncode == 0, "down is idempotent"


def test_port_is_stable_across_restarts(cli, project):
    name = (project / "name").read_text()
    first = up_detached(cli, project)["port"]
    cli.run("down", name)
    second = up_detached(cli, project)["port"]
    cli.run("down", name)
    assert first == second


def test_ps_logs_down_from_other_processes(cli, project):
    name = (project / "name").read_text()
    up_detached(cli, project)
    rows = cli.json("ps", name)
    assert [(r["endpoint"], r["deployment"], r["status"]) for r in rows] == [(name, "blue", "running")]
    assert rows[0]["code_dir"] == str(project / "onlinescoring")
    assert rows[0]["remote_code_dir"] == "/var/azureml-app/onlinescoring"
    key = cli.json("keys", name)["primary"]
    answer = requests.post(rows[0]["url"], data=(project / "sample-request.json").read_bytes(),
                           headers={"Authorization": f"Bearer {key}"})
    assert answer.json() == EXPECTED
    assert answer.headers["azureml-model-deployment"] == "blue"
    assert rows[0]["health"] == "healthy" and rows[0]["traffic"] == 100
    base = rows[0]["url"].rsplit("/score", 1)[0]
    assert requests.get(base + "/").text == "Healthy", "the liveness route answers without a key"
    swagger = requests.get(base + "/swagger.json?version=3", headers={"Authorization": f"Bearer {key}"})
    assert swagger.status_code == 200 and swagger.json()["openapi"].startswith("3.")
    logs = cli.run("logs", name, "--tail", "200")
    assert logs.returncode == 0
    assert "blue |" in logs.stdout.decode()
    assert "model loaded from" in logs.stdout.decode() or "Booting worker" in logs.stdout.decode()
    removed = cli.json("down", name)
    assert removed["removed"] == [f"localep-{name}-blue"]
    assert cli.json("ps", name) == []


def _break_init(project: Path, code: str) -> None:
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace("def init():", code + "\n\ndef init():", 1))


def test_init_that_raises_fails_fast_with_traceback(cli, project):
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace(
        "    global model\n", "    global model\n    raise RuntimeError('model file is corrupt')\n", 1))
    started = time.monotonic()
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach")
    elapsed = time.monotonic() - started
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.DEPLOYMENT_FAILED, stderr
    assert "RuntimeError: model file is corrupt" in stderr
    assert "Traceback" in stderr
    assert f"{script}:" in stderr
    assert elapsed < 20, f"up should fail fast, took {elapsed:.1f}s"


def test_syntax_error_fails_fast_naming_the_line(cli, project):
    script = project / "onlinescoring" / "score.py"
    lines = script.read_text().splitlines()
    lines[5] = "import json json"
    script.write_text("\n".join(lines) + "\n")
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.DEPLOYMENT_FAILED, stderr
    assert "SyntaxError" in stderr
    assert f"{script}:6" in stderr


def test_occupied_port_names_the_holder(cli, project):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--port", str(port))
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.PORT_IN_USE, stderr
    assert f"port {port}" in stderr
    assert "process" in stderr and "python" in stderr, stderr


def test_port_held_by_another_endpoint_names_it(cli, project, tmp_path):
    first = up_detached(cli, project)
    other = tmp_path / "other"
    shutil.copytree(project, other)
    rename_endpoint(other, first["endpoint"], "other-" + first["endpoint"])
    result = cli.run("up", str(other / "blue-deployment.yml"), "--detach", "--port", str(first["port"]))
    assert result.returncode == ExitCode.PORT_IN_USE
    assert f"localep endpoint '{first['endpoint']}'" in result.stderr.decode()
    cli.run("down", first["endpoint"])


def test_foreground_up_streams_logs_and_ctrl_c_removes_everything(cli, project, docker_client):
    name = (project / "name").read_text()
    process = cli.popen("up", str(project / "blue-deployment.yml"))
    deadline = time.monotonic() + 120
    while not docker_client.containers.list(filters={"label": f"localep.endpoint={name}"}):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    uri = None
    while uri is None and time.monotonic() < deadline:
        line = process.stdout.readline().decode().strip()
        if line.startswith("http://"):
            uri = line
    assert uri is not None
    key = cli.json("keys", name)["primary"]
    answer = requests.post(uri, data=b'{"data": [[1,2,3,4,5,6,7,8,9,10]]}', headers={"Authorization": f"Bearer {key}"})
    assert answer.json() == EXPECTED[:1]
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED
    assert "blue |" in stderr.decode(), "the server log is streamed with the deployment's prefix"
    assert not docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})


def test_environment_variables_and_kubernetes_limits_reach_the_container(cli, project, docker_client):
    deployment = project / "blue-deployment.yml"
    deployment.write_text(
        deployment.read_text().replace("instance_type: Standard_DS3_v2\n", "")
        + "type: kubernetes\ninstance_type: defaultinstancetype\n"
        + "environment_variables:\n  GREETING: hello\n"
        + "resources:\n  limits:\n    cpu: '1.5'\n    memory: 512Mi\n"
    )
    summary = up_detached(cli, project)
    container = docker_client.containers.get(summary["deployments"][0]["container"])
    env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
    assert env["GREETING"] == "hello"
    assert container.attrs["HostConfig"]["NanoCpus"] == 1_500_000_000
    assert container.attrs["HostConfig"]["Memory"] == 512 * 1024 * 1024
    cli.run("down", summary["endpoint"])


def test_invoke_exit_code_follows_http_status(cli, project):
    name = (project / "name").read_text()
    up_detached(cli, project)
    bad = cli.run("invoke", name, input=b'{"no-data": 1}')
    assert bad.returncode == ExitCode.HTTP_ERROR
    assert "HTTP 424" in bad.stderr.decode(), "the cloud answers 424 when the model container fails"
    good = cli.run("invoke", name, input=b'{"data": [[0,0,0,0,0,0,0,0,0,0]]}')
    assert good.returncode == 0
    assert json.loads(good.stdout) == [10.0]
    cli.run("down", name)
