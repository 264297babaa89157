"""The instance the YAML names, against real containers: SKU CPU and memory, out of memory, egress, autoscale."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import List

import pytest

from conftest import write_inputs
from localep.exitcodes import ExitCode
from localep.runtime.sizing import sku_container_memory
from localep.yamlspec.skus import find_sku
from spec_error_cases import edit


def _set_sku(project: Path, sku: str) -> Path:
    deployment = project / "blue-deployment.yml"
    edit(deployment, "instance_type: Standard_DS3_v2\n", f"instance_type: {sku}\n")
    return deployment


def test_container_gets_the_skus_cpu_and_memory(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = _set_sku(project, "standard_ds1_v2")
    result = cli.run("up", str(deployment), "--detach")
    assert result.returncode == 0, result.stderr.decode()
    assert "gives the container 1 CPU, 1.9 GiB" in result.stderr.decode()
    host_config = docker_client.containers.get(f"localep-{name}-blue").attrs["HostConfig"]
    assert host_config["NanoCpus"] == 1_000_000_000
    assert host_config["Memory"] == sku_container_memory(find_sku("Standard_DS1_v2"))
    assert host_config["MemorySwap"] == host_config["Memory"], "no swap beyond the SKU's memory"
    row = cli.json("ps", name)[0]
    assert row["instance_type"] == "standard_ds1_v2"
    assert row["memory"]["limit"] == host_config["Memory"] and 0 < row["memory"]["usage"] < host_config["Memory"]
    assert row["cpu"]["limit"] == 1.0 and row["cpu"]["percent"] >= 0
    assert cli.run("down", name).returncode == 0


def test_a_sku_bigger_than_the_machine_is_capped_with_one_line(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = _set_sku(project, "Standard_F72s_v2")
    result = cli.run("up", str(deployment), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    cpus = docker_client.info()["NCPU"]
    assert stderr.count("capped:") == 1 and f"72 vCPU to this machine's {cpus}" in stderr, stderr
    assert docker_client.containers.get(f"localep-{name}-blue").attrs["HostConfig"]["NanoCpus"] == cpus * 10**9
    assert cli.run("down", name).returncode == 0


def test_init_beyond_the_skus_memory_fails_up_as_out_of_memory(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = _set_sku(project, "Standard_DS1_v2")
    score = project / "onlinescoring" / "score.py"
    edit(score, "    global model\n", "    global model\n    hog = b'x' * (3 * 2**30)  # more than DS1_v2 leaves\n")
    result = cli.run("up", str(deployment), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == ExitCode.DEPLOYMENT_FAILED, stderr
    assert "ran out of memory" in stderr and "OOMKilled" in stderr, stderr
    assert "Standard_DS1_v2 gives it 1.89 GiB" in stderr and "peak seen 1.89 GiB" in stderr, stderr
    assert "Traceback" not in stderr.split("ran out of memory")[0]
    left = docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})
    assert not left, [c.name for c in left]


def test_unknown_sku_is_a_spec_error_at_its_line_for_up_and_validate(cli, project):
    deployment = _set_sku(project, "Standard_DS3_v9")
    line = next(i for i, text in enumerate(deployment.read_text().splitlines(), 1) if "instance_type" in text)
    for command in ("up", "validate"):
        result = cli.run(command, str(deployment))
        stderr = result.stderr.decode() + result.stdout.decode()
        assert result.returncode == ExitCode.SPEC, stderr
        assert f"blue-deployment.yml:{line}:" in stderr and "did you mean 'Standard_DS3_v2'?" in stderr, stderr




def test_out_of_memory_after_ready_is_named_and_the_instance_comes_back(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = _set_sku(project, "Standard_DS1_v2")
    score = project / "onlinescoring" / "score.py"
    edit(score, "    coefficients, intercept = model\n",
         "    coefficients, intercept = model\n    if 'hog' in raw_data:\n        hog = b'x' * (3 * 2**30)\n")
    assert cli.run("up", str(deployment), "--detach").returncode == 0
    session = cli.keyed_session(name)
    url = cli.json("ps", name)[0]["url"]
    assert session.post(url, data='{"hog": 1}', timeout=60).status_code != 200
    deadline = time.monotonic() + 60
    row = cli.json("ps", name)[0]
    while not (row["restarts"] >= 1 and row["health"] == "healthy") and time.monotonic() < deadline:
        time.sleep(0.5)
        row = cli.json("ps", name)[0]
    assert row["restarts"] >= 1 and "out of memory" in (row["exit_reason"] or ""), row
    assert session.post(url, json={"data": [[1.0] * 10]}, timeout=30).status_code == 200
    logs = cli.run("logs", name).stdout.decode()
    assert "out of memory" in logs and "out of memory" in cli.run("logs", name, "--gateway").stdout.decode()
    assert cli.run("down", name).returncode == 0


def test_fields_without_local_effect_are_named_once_and_show_output_is_accepted(cli, project):
    name = (project / "name").read_text()
    deployment = project / "blue-deployment.yml"
    deployment.write_text(deployment.read_text() + "app_insights_enabled: true\nid: /subscriptions/x/blue\n"
                          "provisioning_state: Succeeded\n")
    endpoint = project / "endpoint.yml"
    endpoint.write_text(endpoint.read_text() + "identity:\n  type: system_assigned\nscoring_uri: https://x/score\n")
    expected = "not emulated locally: identity, app_insights_enabled"
    result = cli.run("up", str(deployment), "--detach")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert stderr.count("not emulated locally") == 1 and expected in stderr, stderr
    assert "read-only fields ignored (output of az ml ... show): scoring_uri, id, provisioning_state" in stderr
    assert cli.run("down", name).returncode == 0
    result = cli.run("validate", str(endpoint), str(deployment))
    assert result.returncode == 0 and result.stderr.decode().count(expected) == 1, result.stderr.decode()


EGRESS_SCRIPT = '''
import os
import json
import socket

outcome = None


def init():
    global outcome
    try:
        socket.create_connection((os.environ["TARGET_HOST"], int(os.environ["TARGET_PORT"])), timeout=3).close()
        outcome = "connected"
    except OSError as error:
        outcome = f"failed: {error}"
        print(f"outbound connection failed: {error}", flush=True)


def run(raw_data):
    return outcome
'''


@pytest.fixture
def host_listener(docker_client):
    """A listener on the docker0 bridge address (this machine, never an outside address), accepting in a thread."""
    bridge = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"]
    server = socket.socket()
    server.bind((bridge, 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(connection.getpeername())
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname(), accepted
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("egress", ["enabled", "disabled"])
def test_egress_disabled_cuts_outbound_connections_while_the_endpoint_answers(cli, project, host_listener, egress):
    (host, port), accepted = host_listener
    name = (project / "name").read_text()
    (project / "onlinescoring" / "egress.py").write_text(EGRESS_SCRIPT)
    deployment = project / "blue-deployment.yml"
    edit(deployment, "scoring_script: score.py\n", "scoring_script: egress.py\n")
    deployment.write_text(deployment.read_text() + f"egress_public_network_access: {egress}\n"
                          f"environment_variables:\n  TARGET_HOST: '{host}'\n  TARGET_PORT: '{port}'\n")
    result = cli.run("up", str(deployment), "--detach")
    assert result.returncode == 0, result.stderr.decode()
    answer = cli.keyed_session(name).post(cli.json("ps", name)[0]["url"], json={}, timeout=30)
    assert answer.status_code == 200, answer.text
    logs = cli.run("logs", name).stdout.decode()
    if egress == "enabled":
        assert answer.json() == "connected" and accepted
    else:
        assert answer.json().startswith("failed:") and "unreachable" in answer.json() and not accepted
        assert logs.count("egress_public_network_access: disabled, so its container has no route out") == 1, logs
    assert cli.run("down", name).returncode == 0


SKLEARN_CONDA = """name: sklearn-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - scikit-learn=1.2.2
  - numpy
  - pip
  - pip:
      - azureml-inference-server-http
"""

SKLEARN_SCRIPT = '''
import json
import os

import numpy
import sklearn
from sklearn.linear_model import LinearRegression

model = None


def init():
    """Fit the example's linear model with scikit-learn 1.2.2 (its compiled parts fail to load on numpy 2)."""
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "regression", "weights.json")) as handle:
        weights = json.load(handle)
    coefficients = numpy.array(weights["coefficients"])
    rows = numpy.random.default_rng(0).normal(size=(50, len(coefficients)))
    model = LinearRegression().fit(rows, rows @ coefficients + float(weights["intercept"]))


def run(raw_data):
    rows = numpy.array(json.loads(raw_data)["data"], dtype=float)
    return {"sklearn": sklearn.__version__, "numpy": numpy.__version__, "predictions": model.predict(rows).tolist()}
'''


def test_old_scikit_learn_with_unpinned_numpy_loads_and_scores_on_the_pip_route(cli, project):
    name = (project / "name").read_text()
    (project / "environment" / "sklearn.yaml").write_text(SKLEARN_CONDA)
    (project / "onlinescoring" / "sklearn_score.py").write_text(SKLEARN_SCRIPT)
    deployment = project / "blue-deployment.yml"
    edit(deployment, "conda_file: environment/conda.yaml\n", "conda_file: environment/sklearn.yaml\n")
    edit(deployment, "scoring_script: score.py\n", "scoring_script: sklearn_score.py\n")
    result = cli.run("up", str(deployment), "--detach", timeout=1200)
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "added numpy<2: scikit-learn==1.2.2 was built for numpy 1" in stderr, stderr
    request = json.loads((project / "sample-request.json").read_text())
    answer = cli.keyed_session(name).post(cli.json("ps", name)[0]["url"], json=request, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["sklearn"] == "1.2.2" and body["numpy"].startswith("1."), body
    weights = json.loads((project / "model" / "regression" / "weights.json").read_text())
    expected = [sum(w * x for w, x in zip(weights["coefficients"], row)) + weights["intercept"] for row in request["data"]]
    assert body["predictions"] == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert cli.run("down", name).returncode == 0


def test_target_utilization_grows_under_load_and_returns_to_min_with_every_request_answered(cli, project):
    name = (project / "name").read_text()
    score = project / "onlinescoring" / "score.py"
    edit(score, "    coefficients, intercept = model\n", "    coefficients, intercept = model\n    time.sleep(1.0)\n")
    edit(score, "import os\n", "import os\nimport time\n")
    deployment = project / "blue-deployment.yml"
    deployment.write_text(
        deployment.read_text().replace("instance_type: Standard_DS3_v2\n", "")
        .replace("  request_timeout_ms: 5000\n", "  request_timeout_ms: 30000\n  max_queue_wait_ms: 30000\n")
        + "type: kubernetes\ninstance_type: defaultinstancetype\n"
        + "scale_settings:\n  type: target_utilization\n  min_instances: 1\n  max_instances: 3\n"
        + "  polling_interval: 1\n  target_utilization_percentage: 50\n")
    result = cli.run("up", str(deployment), "--detach")
    assert result.returncode == 0, result.stderr.decode()
    assert [row["instances"] for row in cli.json("ps", name)] == [1, 1, 1]
    session = cli.keyed_session(name)
    url = cli.json("ps", name)[0]["url"]
    request = json.loads((project / "sample-request.json").read_text())
    statuses: List[int] = []
    loading = threading.Event()
    loading.set()

    def client() -> None:
        while loading.is_set():
            statuses.append(session.post(url, json=request, timeout=60).status_code)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    most, deadline = 1, time.monotonic() + 120  # a new instance joins once its server answers: slow on a busy machine
    while most == 1 and time.monotonic() < deadline:
        time.sleep(1)
        most = max(most, cli.json("ps", name)[0]["instances"])
    time.sleep(3)  # load on the grown deployment too
    loading.clear()
    for thread in clients:
        thread.join()
    assert most > 1, "the deployment never grew beyond one instance under load"
    deadline = time.monotonic() + 60
    while cli.json("ps", name)[0]["instances"] != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cli.json("ps", name)[0]["instances"] == 1, "back to min_instances after the load"
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    log = cli.run("logs", name, "--gateway").stdout.decode()
    assert "autoscale: blue:" in log and "drained and stopped" in log, log
    assert cli.run("down", name).returncode == 0


def test_batch_instance_type_sizes_each_container(cli, batch_project, tmp_path, docker_client):
    name = (batch_project / "name").read_text()
    write_inputs(tmp_path / "data", 4)
    job = cli.popen("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                    "--output", str(tmp_path / "out"), "--set", "resources.instance_type=Standard_F2s_v2",
                    "--set", "settings.environment_variables.BATCH_SLEEP=2")
    host_configs: List[dict] = []
    deadline = time.monotonic() + 120
    while not host_configs and job.poll() is None and time.monotonic() < deadline:
        running = docker_client.containers.list(filters={"label": f"localep.endpoint={name}"})
        host_configs = [container.attrs["HostConfig"] for container in running]
        time.sleep(0.2)
    _, stderr = job.communicate(timeout=300)
    assert job.returncode == 0, stderr.decode()
    cpus = min(2, docker_client.info()["NCPU"])
    assert host_configs and all(config["NanoCpus"] == cpus * 10**9 for config in host_configs), host_configs
    assert all(config["Memory"] == sku_container_memory(find_sku("Standard_F2s_v2")) for config in host_configs)
