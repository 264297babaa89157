"""`az ml batch-endpoint`, `batch-deployment` and `job` scripts run unchanged on `localep batch`, through the `az`
shim, with the real engine and real batch workers."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.az_shim import az, run_script, shim_env
from tests.e2e.conftest import direct_prediction, read_rows, write_inputs


def test_batch_script_runs_unchanged(batch_project, cli_env, tmp_path, localep_home):
    """model create, batch-endpoint create, batch-deployment create --set-default, invoke --query name -o tsv,
    job show until Completed, job download: the deployment names the registered model by reference."""
    name = (batch_project / "name").read_text()
    endpoint = (batch_project / "endpoint.yml").read_text()
    (batch_project / "endpoint.yml").write_text(re.sub(r"defaults:\n  deployment_name: .*\n", "", endpoint))
    spec = (batch_project / "deployment.yml").read_text()
    spec = re.sub(r"model:\n(  .*\n)+", f"model: azureml:{name}-model@latest\n", spec)
    (batch_project / "deployment.yml").write_text(spec)
    files = write_inputs(batch_project / "data", 25)
    env = shim_env(tmp_path, cli_env, ENDPOINT_NAME=name, MODEL_NAME=f"{name}-model")
    result = run_script("batch-deploy-and-run.sh", batch_project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    job = re.search(r"^job: (\S+)$", result.stdout, flags=re.M).group(1)
    assert "final: Completed" in result.stdout
    rows = read_rows(batch_project / "named-outputs" / "score" / "predictions.csv")
    assert sorted((file, prediction) for file, prediction, _ in rows) == sorted(
        (path.name, direct_prediction(path)) for path in files)
    shown = az(env, "ml", "job", "show", "-n", job, "--query", "{s: status, o: outputs.score.path}", "-o", "tsv")
    status, output = shown.stdout.rstrip("\n").split("\t")
    assert status == "Completed" and Path(output).is_dir()
    assert "azureml.batchrun.deployment" in az(env, "ml", "job", "show", "-n", job).stdout


def test_batch_job_cancel_and_errors(batch_project, cli_env, tmp_path):
    name = (batch_project / "name").read_text()
    env = shim_env(tmp_path, cli_env, ENDPOINT_NAME=name)
    write_inputs(batch_project / "data", 30)
    assert az(env, "ml", "batch-endpoint", "create", "-n", name, "-f", str(batch_project / "endpoint.yml")
              ).returncode == 0
    no_deployment = az(env, "ml", "batch-endpoint", "invoke", "-n", name, "--input", str(batch_project / "data"))
    assert no_deployment.returncode == 1 and "No deployment exists for this endpoint" in no_deployment.stderr
    deployment = str(batch_project / "deployment.yml")
    created = az(env, "ml", "batch-deployment", "create", "-f", deployment, "-e", name,
                 "--set", "settings.environment_variables.BATCH_SLEEP=1", "settings.mini_batch_size=1")
    assert created.returncode == 0, created.stderr
    job = az(env, "ml", "batch-endpoint", "invoke", "-n", name, "--input", str(batch_project / "data"),
             "--query", "name", "-o", "tsv").stdout.strip()
    assert az(env, "ml", "job", "show", "-n", job, "--query", "status", "-o", "tsv").stdout == "Running\n"
    early = az(env, "ml", "job", "download", "-n", job, "--output-name", "score", "-p", str(tmp_path / "dl"))
    assert early.returncode == 1 and "still Running" in early.stderr
    assert az(env, "ml", "job", "cancel", "-n", job).returncode == 0
    assert az(env, "ml", "job", "show", "-n", job, "--query", "status", "-o", "tsv").stdout == "Canceled\n"
    streamed = az(env, "ml", "job", "stream", "-n", job)
    assert streamed.returncode == 1 and "Canceled" in streamed.stderr
    jobs = az(env, "ml", "batch-deployment", "list-jobs", "-n", "linear", "-e", name, "--query", "[].name",
              "-o", "tsv")
    assert jobs.stdout == f"{job}\n"
    missing = az(env, "ml", "job", "show", "-n", "no-such-job")
    assert missing.returncode == 3
