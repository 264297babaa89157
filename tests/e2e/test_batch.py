"""`localep batch` end to end: real engine, real environment image (one for every test), real worker processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from tests.e2e.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "batch"
WEIGHTS = json.loads((FIXTURE / "model" / "linear" / "weights.json").read_text())


def write_inputs(folder: Path, count: int, prefix: str = "f") -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = folder / f"{prefix}{index:03d}.csv"
        path.write_text(f"{index * 0.5 - 3},{(index % 7) - 2.25},{index / 10}\n")
        files.append(path)
    return files


def direct_prediction(path: Path) -> float:
    features = [float(value) for value in path.read_text().strip().split(",")]
    return round(sum(w * x for w, x in zip(WEIGHTS["w"], features)) + WEIGHTS["b"], 6)


def read_rows(predictions: Path, separator: str = " ") -> List[Tuple[str, float, str]]:
    rows = []
    for line in predictions.read_text().splitlines():
        file_name, prediction, worker = line.split(separator)
        rows.append((file_name, float(prediction), worker))
    return rows


def batch_containers(docker_client, endpoint: str) -> List[str]:
    found = docker_client.containers.list(all=True, filters={"label": [f"localep.endpoint={endpoint}",
                                                                         "localep.batch-job"]})
    return [container.name for container in found]


@pytest.fixture(scope="session")
def batch_warm(cli, base_image, tmp_path_factory) -> None:
    """Build the batch test environment once (a one-file job), so every test below starts from a cached image."""
    folder = tmp_path_factory.mktemp("batch-warm")
    write_inputs(folder / "data", 1)
    result = cli.run("batch", "run", str(FIXTURE / "deployment.yml"), "--input", str(folder / "data"),
                     "--output", str(folder / "out"), timeout=900)
    assert result.returncode == 0, result.stderr.decode()


@pytest.fixture
def batch_project(tmp_path, batch_warm, docker_client) -> Path:
    """A private copy of the batch fixture under a unique endpoint name; no container of it may remain."""
    target = tmp_path / "batch"
    shutil.copytree(FIXTURE, target)
    name = f"bt-{uuid.uuid4().hex[:8]}"
    for yml in target.glob("*.yml"):
        text = yml.read_text().replace("endpoint_name: batch-test\n", f"endpoint_name: {name}\n")
        yml.write_text(text.replace("name: batch-test\n", f"name: {name}\n"))
    (target / "name").write_text(name)
    yield target
    leftovers = batch_containers(docker_client, name)
    for container in leftovers:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    assert not leftovers, f"containers left behind: {leftovers}"


def run_batch(cli, project: Path, *args: str, deployment: str = "deployment.yml",
              env: Dict[str, str] = {}) -> Tuple[int, dict, str]:  # noqa: B006 - never mutated
    prefix = "" if "flat" in deployment else "settings."  # the legacy form keeps its settings at the top level
    settings = [item for key, value in env.items() for item in ("--set", f"{prefix}environment_variables.{key}={value}")]
    result = cli.run("batch", "run", str(project / deployment), *args, *settings, "--json", timeout=300)
    stderr = result.stderr.decode()
    summary = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, summary, stderr


def test_fifty_files_give_the_directly_computed_rows(cli, batch_project, tmp_path, localep_home):
    files = write_inputs(tmp_path / "data", 50)
    out = tmp_path / "out"
    code, summary, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "data"), "--output", str(out))
    assert code == 0, stderr
    assert (summary["status"], summary["items"], summary["succeeded"], summary["failed"]) == ("Completed", 50, 50, 0)
    assert summary["mini_batches"]["total"] == 5  # mini_batch_size 10
    rows = read_rows(out / "predictions.csv")
    assert sorted((name, prediction) for name, prediction, _ in rows) == sorted(
        (path.name, direct_prediction(path)) for path in files)
    # The cloud's layout, and the job record a later `job show` reads.
    assert (out / "logs" / "job_result.txt").read_text().startswith("status: Completed")
    assert list((out / "logs").glob("job_progress_overview.*.txt"))
    stdout = (out / "logs" / "user" / "stdout" / "instance-1" / "process001.stdout.txt").read_text()
    assert "model loaded from /var/azureml-app/azureml-models/linear-model/1/linear/" in stdout
    assert "DEBUG" not in stdout  # logging_level info
    assert not (out / "INCOMPLETE.txt").exists() and not (out / "predictions.csv.partial").exists()
    record = json.loads((localep_home / "jobs" / summary["job"] / "job.json").read_text())
    assert record["status"] == "Completed" and record["counts"]["items_succeeded"] == 50
    assert record["predictions"] == str(out / "predictions.csv")
    # The environment image is cached: scoring starts within seconds.
    assert summary["startup_seconds"] < 15, summary


def test_two_instances_with_two_workers_process_disjoint_mini_batches(cli, batch_project, tmp_path):
    files = write_inputs(tmp_path / "data", 40)
    out = tmp_path / "out"
    code, summary, stderr = run_batch(
        cli, batch_project, "--input", str(tmp_path / "data"), "--output", str(out), "--mini-batch-size", "2",
        "--set", "resources.instance_count=2", "--set", "settings.max_concurrency_per_instance=2",
        env={"BATCH_SLEEP": "0.2"})
    assert code == 0, stderr
    rows = read_rows(out / "predictions.csv")
    assert sorted(name for name, _, _ in rows) == sorted(path.name for path in files)  # every file exactly once
    workers = {worker for _, _, worker in rows}
    assert len(workers) >= 4, workers
    assert len({worker.rsplit("-", 1)[0] for worker in workers}) == 2  # two containers
    assert len(summary["workers"]) == 4, summary["workers"]
    for instance in ("instance-1", "instance-2"):
        for process in ("process001", "process002"):
            assert (out / "logs" / "user" / "stdout" / instance / f"{process}.stdout.txt").is_file()


def test_summary_only_writes_no_rows_and_counts_what_run_returns(cli, batch_project, tmp_path):
    files = write_inputs(tmp_path / "data", 12)
    out = tmp_path / "out"
    code, summary, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "data"), "--output", str(out),
                                      "--set", "settings.output_action=summary_only",
                                      "--set", "settings.logging_level=debug", env={"BATCH_OWN_FILES": "1"})
    assert code == 0, stderr
    stdout = (out / "logs" / "user" / "stdout" / "instance-1" / "process001.stdout.txt").read_text()
    assert "DEBUG root: scored 10 file(s)" in stdout
    assert summary["succeeded"] == 12 and summary["predictions"] is None
    assert not (out / "predictions.csv").exists() and not (out / "predictions.csv.partial").exists()
    own = sorted(path.name for path in out.glob("*.out"))  # written through AZUREML_BI_OUTPUT_PATH
    assert own == sorted(f"{path.name}.out" for path in files)


def _good_and_bad(folder: Path) -> None:
    write_inputs(folder, 7, prefix="good")
    write_inputs(folder, 3, prefix="bad")


def test_failing_run_respects_max_retries_and_error_threshold(cli, batch_project, tmp_path):
    _good_and_bad(tmp_path / "data")
    common = ["--input", str(tmp_path / "data"), "--mini-batch-size", "1", "--set",
              "settings.retry_settings.max_retries=2"]
    code, summary, stderr = run_batch(cli, batch_project, *common, "--output", str(tmp_path / "ignored"),
                                      env={"BATCH_FAIL": "bad"})
    assert code == 0, stderr  # error_threshold -1 ignores failures
    assert (summary["succeeded"], summary["failed"], summary["retried"]) == (7, 3, 3)
    assert summary["mini_batches"]["failed"] == 3
    errors = (tmp_path / "ignored" / "logs" / "user" / "error" / "instance-1" / "process001.txt").read_text()
    assert errors.count("ValueError: cannot score bad") == 6 and "batch_score.py" in errors
    assert "batch_worker.py" not in errors  # the driver's own frames are left out

    out = tmp_path / "aborted"
    code, summary, stderr = run_batch(cli, batch_project, *common, "--output", str(out), "--error-threshold", "2",
                                      env={"BATCH_FAIL": "bad"})
    assert code == 11, stderr
    assert summary["status"] == "Failed" and summary["failed"] == 3
    assert "error_threshold exceeded: 3 failed item(s) > 2" in summary["error"]
    assert (out / "INCOMPLETE.txt").is_file() and not (out / "predictions.csv").exists()

    # More than 10 failed mini-batches in one process: the process is replaced, as the cloud's driver does.
    write_inputs(tmp_path / "many", 11, prefix="bad")
    out = tmp_path / "recycled"
    code, summary, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "many"), "--output", str(out),
                                      "--mini-batch-size", "1", "--set", "settings.retry_settings.max_retries=1",
                                      env={"BATCH_FAIL": "bad"})
    assert code == 12, stderr  # nothing succeeded
    assert "run() was unable to successfully process any mini batches" in summary["error"]
    assert "instance-1/process001 replaced after 11 failed mini-batches" in (out / "logs" / "sys" / "master_role.txt").read_text()

    # A short return is no failure of run(): the missing items fail, nothing is retried.
    code, summary, stderr = run_batch(cli, batch_project, *common, "--output", str(tmp_path / "short"),
                                      env={"BATCH_SKIP": "bad"})
    assert code == 0, stderr
    assert (summary["succeeded"], summary["failed"], summary["retried"]) == (7, 3, 0)


def test_run_past_the_timeout_is_retried_then_failed(cli, batch_project, tmp_path):
    write_inputs(tmp_path / "data", 2, prefix="good")
    (tmp_path / "data" / "slow.csv").write_text("1,1,1\n")
    out = tmp_path / "out"
    started = time.monotonic()
    code, summary, stderr = run_batch(
        cli, batch_project, "--input", str(tmp_path / "data"), "--output", str(out), "--mini-batch-size", "1",
        "--set", "settings.retry_settings.max_retries=2", "--set", "settings.retry_settings.timeout=2",
        env={"BATCH_SLOW": "slow", "BATCH_SLOW_SECONDS": "60"})
    assert code == 0, stderr
    assert time.monotonic() - started < 45
    assert (summary["succeeded"], summary["failed"], summary["retried"]) == (2, 1, 1)
    master = (out / "logs" / "sys" / "master_role.txt").read_text()
    assert master.count("timed out") == 2
    # the first timeout replaced the worker process (the second ended the job): two processes ran init()
    assert sorted(path.name for path in (out / "logs" / "user" / "stdout" / "instance-1").iterdir()) == [
        "process001.stdout.txt", "process002.stdout.txt"]
    assert "retry_settings.timeout (2s)" in (out / "logs" / "user" / "error.txt").read_text()


def test_broken_init_fails_with_its_traceback(cli, batch_project, tmp_path, docker_client):
    write_inputs(tmp_path / "data", 3)
    code, summary, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "data"), "--output",
                                      str(tmp_path / "out"), env={"BATCH_BROKEN_INIT": "1"})
    assert code == 13, stderr
    assert summary["status"] == "Failed"
    assert "RuntimeError: the model cannot be loaded: broken on purpose" in summary["error"]
    assert 'batch_score.py", line' in summary["error"]
    assert (tmp_path / "out" / "INCOMPLETE.txt").is_file()
    assert not batch_containers(docker_client, (batch_project / "name").read_text())


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def test_ctrl_c_removes_every_container_and_marks_the_output_incomplete(cli, batch_project, tmp_path, docker_client,
                                                                      localep_home):
    write_inputs(tmp_path / "data", 20)
    out = tmp_path / "out"
    name = (batch_project / "name").read_text()
    process = cli.popen("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                        "--output", str(out), "--mini-batch-size", "1", "--set", "resources.instance_count=2",
                        "--set", "settings.environment_variables.BATCH_SLEEP=1")
    try:
        _wait_for(lambda: len(batch_containers(docker_client, name)) == 2
                  and bool(list(out.glob("logs/sys/node/*/process001.txt"))))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr.decode()
    assert not batch_containers(docker_client, name)
    assert "Canceled" in stdout.decode()
    assert "INCOMPLETE" in (out / "INCOMPLETE.txt").read_text()
    assert (out / "predictions.csv.partial").is_file() and not (out / "predictions.csv").exists()
    job = next(path for path in (localep_home / "jobs").glob(f"batch-{name}-*/job.json"))
    assert json.loads(job.read_text())["status"] == "Canceled"


def test_detached_job_is_canceled_by_sigterm_to_its_runner(cli, batch_project, tmp_path, docker_client, localep_home):
    write_inputs(tmp_path / "data", 20)
    name = (batch_project / "name").read_text()
    result = cli.run("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                     "--output", str(tmp_path / "out"), "--mini-batch-size", "1", "--detach", "--json",
                     "--set", "settings.environment_variables.BATCH_SLEEP=1")
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["status"] == "Running" and record["name"].startswith(f"batch-{name}-")
    path = localep_home / "jobs" / record["name"] / "job.json"
    _wait_for(lambda: json.loads(path.read_text())["counts"]["mini_batches_succeeded"] >= 1)
    os.kill(record["pid"], signal.SIGTERM)
    _wait_for(lambda: json.loads(path.read_text())["status"] != "Running")
    final = json.loads(path.read_text())
    assert final["status"] == "Canceled" and final["end_time"]
    _wait_for(lambda: not batch_containers(docker_client, name), timeout=30)


def test_legacy_flat_form_gives_the_same_result_as_the_settings_form(cli, batch_project, tmp_path):
    write_inputs(tmp_path / "data", 25)
    results = []
    for deployment in ("deployment.yml", "deployment-flat.yml"):
        out = tmp_path / deployment
        code, summary, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "data"), "--output", str(out),
                                          deployment=deployment, env={"BATCH_RETURN": "list"})
        assert code == 0, stderr
        assert summary["mini_batches"]["total"] == 3
        results.append(sorted((name, prediction) for name, prediction, _ in read_rows(out / "predictions.csv", ",")))
    assert results[0] == results[1] and len(results[0]) == 25


def test_invoke_runs_the_default_or_the_named_deployment(cli, batch_project, tmp_path):
    write_inputs(tmp_path / "data", 4)
    for extra, deployment in (((), "linear"), (("--deployment", "linear-flat"), "linear-flat")):
        result = cli.run("batch", "invoke", str(batch_project / "endpoint.yml"), "--input", str(tmp_path / "data"),
                         "--output", str(tmp_path / deployment), *extra, "--json", timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        assert json.loads(result.stdout)["deployment"] == deployment
    result = cli.run("batch", "invoke", str(batch_project / "endpoint.yml"), "--input", str(tmp_path / "data"),
                     "--deployment", "nope")
    assert result.returncode == 3
    assert "deployment 'nope' not found" in result.stderr.decode()


def test_a_killed_runners_containers_are_removed_by_the_next_job(cli, batch_project, tmp_path, docker_client,
                                                                  localep_home):
    write_inputs(tmp_path / "data", 20)
    name = (batch_project / "name").read_text()
    process = cli.popen("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                        "--output", str(tmp_path / "killed"), "--mini-batch-size", "1",
                        "--set", "settings.environment_variables.BATCH_SLEEP=1")
    try:
        _wait_for(lambda: bool(batch_containers(docker_client, name))
                  and bool(list((tmp_path / "killed").glob("logs/sys/node/*/process001.txt"))))
    finally:
        process.kill()  # SIGKILL: the runner cannot clean up
        process.communicate(timeout=30)
    assert batch_containers(docker_client, name)
    job = next((localep_home / "jobs").glob(f"batch-{name}-*/job.json"))
    assert json.loads(job.read_text())["status"] == "Running"

    code, _, stderr = run_batch(cli, batch_project, "--input", str(tmp_path / "data" / "f000.csv"), "--output",
                                      str(tmp_path / "next"))
    assert code == 0, stderr
    assert not batch_containers(docker_client, name)
    killed = json.loads(job.read_text())
    assert killed["status"] == "Failed" and "ended without finishing the job" in killed["error"]
    assert (tmp_path / "killed" / "INCOMPLETE.txt").is_file()
