"""A batch job outlives the loss of one of its instances: the lost instance's mini-batches go back to the queue,
the instance is restarted, and every item is in the output exactly once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from faults.conftest import read_rows, write_inputs

pytestmark = pytest.mark.docker


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def _succeeded(out: Path) -> int:
    log = out / "logs" / "sys" / "master_role.txt"
    nodes = list((out / "logs" / "sys" / "node").glob("*/*.txt"))
    return sum(path.read_text().count(": succeeded") for path in nodes) if log.exists() else 0


def test_a_killed_instance_loses_no_item(cli, batch_project, tmp_path, docker_client):
    files = write_inputs(tmp_path / "data", 40)
    out = tmp_path / "out"
    name = (batch_project / "name").read_text()
    process = cli.popen("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                        "--output", str(out), "--mini-batch-size", "2", "--set", "resources.instance_count=2",
                        "--set", "settings.max_concurrency_per_instance=2",
                        "--set", "settings.environment_variables.BATCH_SLEEP=0.75", "--json")
    try:
        _wait_for(lambda: _succeeded(out) >= 4)  # every worker busy, some mini-batches done
        job = next(container for container in docker_client.containers.list(
            filters={"label": [f"localep.endpoint={name}", "localep.batch-job"]}) if container.name.endswith("-2"))
        job.kill()
        stdout, stderr = process.communicate(timeout=180)
    finally:
        process.kill()
    assert process.returncode == 0, stderr.decode()
    summary = json.loads(stdout)
    assert (summary["status"], summary["succeeded"], summary["failed"]) == ("Completed", 40, 0), summary
    master = (out / "logs" / "sys" / "master_role.txt").read_text()
    assert summary["requeued"] >= 1 and summary["instances_restarted"] == 1, (summary, master, stderr.decode())
    rows = read_rows(out / "predictions.csv")
    assert sorted(name for name, _, _ in rows) == sorted(path.name for path in files)  # each exactly once
    master = (out / "logs" / "sys" / "master_role.txt").read_text()
    assert "instance-2 lost: its container stopped with exit code 137" in master
    assert "returned to the queue (instance-2/" in master and "instance-2 restarted" in master
    assert "lost" in stderr.decode()


def test_a_job_fails_only_when_no_instance_can_run(cli, batch_project, tmp_path, docker_client):
    """An instance killed every time it comes back: restarted at most 3 times, then the job fails and says why."""
    write_inputs(tmp_path / "data", 4)
    out = tmp_path / "out"
    name = (batch_project / "name").read_text()
    process = cli.popen("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                        "--output", str(out), "--mini-batch-size", "1", "--json",
                        "--set", "settings.environment_variables.BATCH_SLEEP=30")
    kills = 0
    try:
        while process.poll() is None:
            for container in docker_client.containers.list(filters={"label": [f"localep.endpoint={name}",
                                                                              "localep.batch-job"]}):
                container.kill()
                kills += 1
            time.sleep(0.5)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 5, stderr.decode()
    summary = json.loads(stdout)
    assert summary["status"] == "Failed" and summary["instances_restarted"] == 3, summary
    assert "no instance can run the job: instance-1 lost" in summary["error"], summary["error"]
    assert kills == 4
