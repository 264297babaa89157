"""Local batch jobs through `az ml job`: status of a dead runner, download layout, inputs from the registry."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from localep.az.batch import _input_path, _job_setting, job_status
from localep.az.cli import main
from localep.az.errors import AzError
from localep.batch.jobs import JobRecord, JobStatus, write_job


def az(*argv: str):
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def finished_job(tmp_path: Path, status: JobStatus = JobStatus.COMPLETED, pid: int = 1) -> JobRecord:
    output = tmp_path / "out"
    (output / "logs").mkdir(parents=True)
    (output / "predictions.csv").write_text("a.csv 1.0 w\n")
    (output / "logs" / "job_result.txt").write_text("status: Completed\n")
    record = JobRecord(name="batch-ep-0001", endpoint="ep", deployment="linear", deployment_file="d.yml",
                       input=str(tmp_path), output=str(output), status=status, pid=pid)
    write_job(record)
    return record


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_running_record_whose_runner_is_gone_is_failed(tmp_path):
    record = finished_job(tmp_path, JobStatus.RUNNING, pid=dead_pid())
    assert job_status(record) == "Failed"
    code, out = az("ml", "job", "show", "-n", record.name)
    document = json.loads(out)
    assert (code, document["status"]) == (0, "Failed") and "ended without recording" in document["error"]["message"]


def test_download_uses_the_cloud_layout(tmp_path):
    record = finished_job(tmp_path)
    target = tmp_path / "download"
    assert az("ml", "job", "download", "-n", record.name, "--output-name", "score", "--download-path", str(target)) == (0, "")
    assert (target / "named-outputs" / "score" / "predictions.csv").read_text() == "a.csv 1.0 w\n"
    assert not (target / "named-outputs" / "score" / "logs").exists()
    assert az("ml", "job", "download", "-n", record.name, "--download-path", str(target))[0] == 0
    assert (target / "artifacts" / "logs" / "job_result.txt").is_file()
    assert az("ml", "job", "download", "-n", record.name, "--output-name", "other")[0] == 1


def test_show_list_and_missing_jobs(tmp_path):
    record = finished_job(tmp_path)
    code, out = az("ml", "job", "show", "-n", record.name, "--query", "{s: status, o: outputs.score.path}", "-o", "tsv")
    assert (code, out) == (0, f"Completed\t{tmp_path / 'out'}\n")
    assert az("ml", "job", "list", "--query", "[].name", "-o", "tsv") == (0, f"{record.name}\n")
    assert az("ml", "job", "show", "-n", "nope")[0] == 3
    assert az("ml", "job", "cancel", "-n", record.name)[0] == 1  # already ended


def test_inputs_from_the_registry(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"x")
    assert az("ml", "data", "create", "--name", "imgs", "--path", str(folder))[0] == 0
    resolved = Path(_input_path("azureml:imgs@latest", "uri_folder"))
    assert resolved.name == "images" and (resolved / "a.png").is_file() and resolved != folder
    with pytest.raises(AzError, match="localep az ml data create --name nope --version 2"):
        _input_path("azureml:nope:2", None)
    with pytest.raises(AzError, match="needs a file"):
        _input_path(str(folder), "uri_file")


def test_job_settings_are_the_clouds():
    assert _job_setting(["output_file_name=out.csv", "error_threshold=5"], "output_file_name") == "out.csv"
    with pytest.raises(AzError, match="a job takes"):
        _job_setting(["instance_type=big"], "output_file_name")
