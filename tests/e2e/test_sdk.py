"""azure-ai-ml's own `local=True` calls, unchanged but for `localep.sdk.enable()`, against real Docker.

The SDK lives in its own venv (LOCALEP_SDK_PYTHON, made by .ci/run) so its dependencies never meet the test
venv's; the notebook-like script runs there with this repository first on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import List, Tuple

import pytest
from tests.e2e.collected import collection_folder
from tests.e2e.conftest import EXAMPLE, EXAMPLE_BASE_IMAGE, REPO, gateway_of

pytestmark = pytest.mark.docker
SCRIPTS = Path(__file__).parent / "sdk_scripts"


def sdk_python() -> str:
    """The interpreter with azure-ai-ml; absent outside CI means the test did not run (a failure in CI)."""
    python = os.environ.get("LOCALEP_SDK_PYTHON", "")
    found = bool(python) and subprocess.run([python, "-c", "import azure.ai.ml"], capture_output=True).returncode == 0
    if not found:
        reason = f"no Python with azure-ai-ml: set LOCALEP_SDK_PYTHON (got {python!r}; .ci/run makes one)"
        if os.environ.get("LOCALEP_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return python


def run_script(script: str, tmp_path: Path, docker_client, cli, cli_env, localep_home,
               source: Path = EXAMPLE) -> Tuple[Path, str, dict]:
    """The script in the SDK's venv from a private copy of `source`; no container or gateway of it may remain."""
    python = sdk_python()
    project = tmp_path / "notebook"
    shutil.copytree(source, project)
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    env = dict(cli_env, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), cli_env.get("PYTHONPATH")])))
    try:
        run = subprocess.run([python, str(SCRIPTS / script), name, EXAMPLE_BASE_IMAGE], cwd=project, env=env,
                             capture_output=True, text=True, timeout=900)
    finally:
        leftovers = [c.name for c in docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})]
        if leftovers or gateway_of(localep_home, name):
            cli.run("down", name)
    assert run.returncode == 0, run.stderr[-4000:]
    assert not leftovers, f"containers left behind: {leftovers}"
    return project, name, json.loads(run.stdout.strip().splitlines()[-1])


def expected_answer() -> List[float]:
    weights = json.loads((EXAMPLE / "model" / "regression" / "weights.json").read_text())
    rows = json.loads((EXAMPLE / "sample-request.json").read_text())["data"]
    return [sum(c * x for c, x in zip(weights["coefficients"], row)) + weights["intercept"] for row in rows]


def test_simple_deployment_notebook_runs_locally(tmp_path, example_image, docker_client, cli, cli_env, localep_home):
    project, name, found = run_script("simple_deployment.py", tmp_path, docker_client, cli, cli_env, localep_home)

    assert found["patched"] and found["restored"]
    assert found["refused"] == [], "a call tried to leave the machine"
    endpoint = found["endpoint"]
    assert endpoint["type"] == "ManagedOnlineEndpoint" and endpoint["state"] == "Succeeded"
    assert endpoint["scoring_uri"].startswith("http://127.0.0.1:") and endpoint["scoring_uri"].endswith("/score")
    assert found["blue"]["state"] == "Succeeded" and found["blue"]["type"] == "ManagedOnlineDeployment"
    assert found["blue"]["model_path"] == str(project / "model" / "regression")
    expected = expected_answer()
    assert found["answer"] == pytest.approx(expected)
    assert found["green_answer"] == pytest.approx(expected)
    logs = found["logs"].splitlines()
    assert 0 < len(logs) <= 50 and any("init" in line for line in logs), found["logs"]
    split = found["split"]
    assert split["traffic"] == {"blue": 50, "green": 50} and split["deployments"] == ["blue", "green"]
    assert set(split["answered_by"]) == {"blue", "green"}, split
    assert "RuntimeError: no weights here: broken on purpose" in found["broken"]
    assert "score.py" in found["broken"] and found["broken_state"] == "Failed"
    assert found["after_delete"] == "LocalEndpointNotFoundError" and found["containers_left"] == []
    assert not (localep_home / "sdk" / name).exists()


def test_vscode_debug_starts_debugpy_and_writes_the_attach_entry(tmp_path, example_image, docker_client, cli, cli_env,
                                                                 localep_home):
    project, name, found = run_script("vscode_debug.py", tmp_path, docker_client, cli, cli_env, localep_home)
    assert found["refused"] == [] and found["state"] == "Succeeded" and found["debugpy_answers"]
    assert found["entry"]["request"] == "attach" and found["entry"]["connect"]["host"] == "127.0.0.1"
    assert found["entry"]["pathMappings"] == [{"localRoot": "${workspaceFolder}/onlinescoring",
                                               "remoteRoot": "/var/azureml-app/onlinescoring"}]
    assert found["answer"] == pytest.approx(expected_answer())
    assert not (localep_home / "sdk" / name).exists()
    assert (project / ".vscode" / "launch.json").is_file(), "launch.json belongs in the notebook's working directory"


def test_a_data_collector_entity_collects_as_its_yaml_would(tmp_path, base_image, docker_client, cli, cli_env,
                                                            localep_home):
    source = REPO / "tests" / "fixtures" / "datacollect"
    _, name, found = run_script("data_collection.py", tmp_path, docker_client, cli, cli_env, localep_home, source)
    assert found["refused"] == [] and found["state"] == "Succeeded"
    assert found["answers"] == [[58.0, 41.75]] * 3
    assert found["collected"] == {"model_inputs": 3, "model_outputs": 3, "request": 3, "response": 3}
    assert found["correlated"]
    inputs = collection_folder(localep_home, name, "model_inputs")
    assert [path.name for path in inputs.rglob("*.jsonl")] == [f"localep-{name}-blue.jsonl"]
