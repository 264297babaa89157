"""`az ml` scripts written for the cloud and for `az ml --local` run unchanged against localep, through an `az`
on PATH that runs `localep az "$@"`, with the real engine, image and inference server."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict

import pytest
from tests.e2e.az_shim import az, json_documents, run_script, shim_env

PREDICTION = "[58.0, 41.75]"  # the example's model on its sample request


@pytest.fixture
def az_env(tmp_path: Path, cli_env: Dict[str, str], project: Path) -> Dict[str, str]:
    return shim_env(tmp_path, cli_env, ENDPOINT_NAME=(project / "name").read_text())


def test_az_ml_local_quickstart_runs_unchanged(project, az_env, localep_home):
    started = time.monotonic()
    result = run_script("quickstart-local.sh", project, az_env)
    seconds = time.monotonic() - started
    print(f"quickstart-local.sh through the az shim: {seconds:.1f}s wall time")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "Endpoint created successfully" in lines and "Deployment completed successfully" in lines
    assert f'"{PREDICTION}"' in lines  # invoke prints the answer as az does: a JSON string
    assert any(line.startswith(PREDICTION) for line in lines)  # curl, without a key: --local endpoints need none
    assert re.search(r"POST /score 200", result.stdout)  # get-logs
    endpoint, deployment, shown = json_documents(result.stdout)[:3]
    assert endpoint["provisioning_state"] == "Succeeded" and endpoint["traffic"] == {}
    assert (deployment["name"], deployment["provisioning_state"]) == ("blue", "Succeeded")
    assert shown["scoring_uri"].startswith("http://127.0.0.1:") and shown["scoring_uri"].endswith("/score")
    assert shown["openapi_uri"].endswith("/swagger.json") and shown["traffic"] == {"blue": 100}
    assert not (localep_home / "az" / "online-endpoints" / f"{az_env['ENDPOINT_NAME']}.json").exists()
    assert seconds < 120, f"the quickstart took {seconds:.0f}s"


def test_blue_green_rollout_script(project, az_env):
    green = (project / "blue-deployment.yml").read_text().replace("name: blue\n", "name: green\n")
    (project / "green-deployment.yml").write_text(green)
    result = run_script("safe-rollout.sh", project, az_env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count(f'"{PREDICTION}"') == 2  # invoke of blue, then pinned to green
    assert "blue instances: 2\n" in out
    assert 'traffic: {"blue":100,"green":0}\n' in out  # a new deployment gets no traffic, as in the cloud
    assert f"{PREDICTION}\nwithout key: 401\n" in out  # curl with the key pinned to green; without it 401
    assert 'mirror: {"green":10}\n' in out
    assert 'traffic: {"blue":90,"green":10}\n' in out
    assert "answered by: green\n" in out
    assert "deployments: green\n" in out
    err = result.stderr
    assert err.count("--resource-group has no local effect") == 1 and "--no-wait has no local effect" in err


BROKEN_INIT = "def init():\n    raise RuntimeError('model file is corrupt')\n\n\ndef run(data):\n    return data\n"


def test_status_is_honest_for_a_crashing_and_a_hung_deployment(project, az_env, docker_client):
    name = az_env["ENDPOINT_NAME"]
    assert az(az_env, "ml", "online-endpoint", "create", "--local", "-n", name, "-f", str(project / "endpoint.yml")
              ).returncode == 0
    broken = project / "broken"
    shutil.copytree(project / "onlinescoring", broken)
    (broken / "score.py").write_text(BROKEN_INIT)
    spec = (project / "blue-deployment.yml").read_text().replace("name: blue\n", "name: broken\n")
    (project / "broken-deployment.yml").write_text(spec.replace("code: onlinescoring", "code: broken"))
    created = az(az_env, "ml", "online-deployment", "create", "--local", "-n", "broken", "-e", name,
                 "-f", str(project / "broken-deployment.yml"))
    assert created.returncode == 1
    assert "ERROR: (DeploymentFailed)" in created.stderr and "model file is corrupt" in created.stderr
    shown = az(az_env, "ml", "online-deployment", "show", "-n", "broken", "-e", name, "--query",
               "{state: provisioning_state, reason: provisioning_error.message}", "-o", "tsv")
    state, reason = shown.stdout.rstrip("\n").split("\t")
    assert (shown.returncode, state) == (0, "Failed") and "failed to start" in reason

    assert az(az_env, "ml", "online-deployment", "create", "--local", "-n", "blue", "-e", name,
              "-f", str(project / "blue-deployment.yml")).returncode == 0
    status = az(az_env, "ml", "online-deployment", "show", "-n", "blue", "-e", name,
                "--query", "provisioning_state", "-o", "tsv")
    assert status.stdout == "Succeeded\n"
    container = docker_client.containers.get(f"localep-{name}-blue")
    container.pause()  # a hung server: az ml --local says Succeeded as long as the container has not exited
    try:
        status = az(az_env, "ml", "online-deployment", "show", "-n", "blue", "-e", name,
                    "--query", "{state: provisioning_state, reason: provisioning_error.message}", "-o", "tsv")
    finally:
        container.unpause()
    assert status.stdout.startswith("Failed\t") and "paused" in status.stdout
    missing = az(az_env, "ml", "online-deployment", "show", "-n", "nope", "-e", name)
    assert missing.returncode == 3 and "ResourceNotFound" in missing.stderr
    assert az(az_env, "ml", "online-endpoint", "delete", "-n", name, "--yes").returncode == 0


def test_registered_model_reference_runs_with_localep_az(project, az_env):
    """model create, then a deployment that names azureml:NAME:VERSION instead of a local path."""
    name = az_env["ENDPOINT_NAME"]
    registered = az(az_env, "ml", "model", "create", "--name", f"{name}-model", "--path",
                    str(project / "model" / "regression"), "--query", "version", "-o", "tsv")
    assert (registered.returncode, registered.stdout) == (0, "1\n"), registered.stderr
    spec = (project / "blue-deployment.yml").read_text()
    spec = re.sub(r"model:\n(  .*\n)+", f"model: azureml:{name}-model@latest\n", spec)
    (project / "registered-deployment.yml").write_text(spec)
    assert az(az_env, "ml", "online-endpoint", "create", "--local", "-n", name).returncode == 0
    created = az(az_env, "ml", "online-deployment", "create", "--local", "-n", "blue", "-e", name,
                 "-f", str(project / "registered-deployment.yml"), "--query", "{state: provisioning_state, model: model}",
                 "-o", "tsv")
    assert created.returncode == 0, created.stderr
    assert created.stdout == f"Succeeded\tazureml:{name}-model@latest\n"
    request = project / "sample-request.json"
    invoked = az(az_env, "ml", "online-endpoint", "invoke", "-n", name, "--request-file", str(request))
    assert invoked.stdout == f'"{PREDICTION}"\n'
    assert az(az_env, "ml", "online-endpoint", "delete", "-n", name, "--yes").returncode == 0


SLOW_INIT = "import time\n\n\ndef init():\n    time.sleep(120)\n\n\ndef run(data):\n    return data\n"


def test_ctrl_c_during_create_removes_what_it_started(project, az_env, docker_client):
    name = az_env["ENDPOINT_NAME"]
    assert az(az_env, "ml", "online-endpoint", "create", "--local", "-n", name).returncode == 0
    slow = project / "slow"
    shutil.copytree(project / "onlinescoring", slow)
    (slow / "score.py").write_text(SLOW_INIT)
    spec = (project / "blue-deployment.yml").read_text().replace("code: onlinescoring", "code: slow")
    (project / "slow-deployment.yml").write_text(spec)
    process = subprocess.Popen([sys.executable, "-m", "localep", "az", "ml", "online-deployment", "create", "-n",
                                "blue", "-e", name, "-f", str(project / "slow-deployment.yml")],
                               env=az_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not docker_client.containers.list(filters={"label": f"localep.endpoint={name}"}):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out == "" and "ERROR: interrupted" in err
    assert docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"}) == []
    shown = az(az_env, "ml", "online-deployment", "show", "-n", "blue", "-e", name, "--query", "provisioning_state",
               "-o", "tsv")
    assert shown.stdout == "Failed\n"
    assert az(az_env, "ml", "online-endpoint", "delete", "-n", name, "--yes").returncode == 0
