"""Inputs, the output layout, the container plan and job records: the pure parts around the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from localep.batch.inputs import InputError, resolve_input
from localep.batch.jobs import JobRecord, JobStatus, list_jobs, read_job, write_job
from localep.batch.layout import OutputLayout, finish_complete, mark_incomplete, prepare_output
from localep.batch.plan import plan_instance
from localep.batch.scheduler import Counts
from localep.yamlspec.batch_loader import load_batch_deployment

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "batch"


@pytest.fixture
def data(tmp_path) -> Path:
    for relative in ("b.csv", "a.csv", "nested/c.csv", "nested/deeper/d.txt"):
        path = tmp_path / "data" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("1,2,3\n")
    return tmp_path / "data"


def test_a_folder_gives_every_file_below_it_in_order(data):
    batch_input = resolve_input(str(data))
    assert [path.relative_to(data).as_posix() for path in batch_input.files] == [
        "a.csv", "b.csv", "nested/c.csv", "nested/deeper/d.txt"]
    assert batch_input.container_path(data / "nested" / "c.csv") == "/mnt/batch/inputs/data/nested/c.csv"


def test_a_file_and_a_glob(data):
    single = resolve_input(str(data / "a.csv"))
    assert single.files == (data / "a.csv",) and single.container_path(data / "a.csv") == "/mnt/batch/inputs/data/a.csv"
    matched = resolve_input(str(data / "**" / "*.csv"))
    assert [path.name for path in matched.files] == ["a.csv", "b.csv", "c.csv"] and matched.root == data


@pytest.mark.parametrize(("given", "message"), [("missing", "no such file or folder"), ("*.nothing", "matches no files")])
def test_bad_inputs_are_usage_errors(tmp_path, monkeypatch, given, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message) as caught:
        resolve_input(given)
    assert caught.value.exit_code == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no files"):
        resolve_input(str(tmp_path / "empty"))


def test_an_earlier_jobs_output_is_refused_unless_overwritten(tmp_path):
    layout = prepare_output(tmp_path / "out", "predictions.csv", overwrite=False)
    layout.partial_predictions.write_text("row\n")
    finish_complete(layout, keep_predictions=True)
    assert layout.predictions.read_text() == "row\n" and not layout.partial_predictions.exists()
    with pytest.raises(InputError, match="already holds the output of an earlier job"):
        prepare_output(tmp_path / "out", "predictions.csv", overwrite=False)
    again = prepare_output(tmp_path / "out", "predictions.csv", overwrite=True)
    assert not again.predictions.exists() and again.partial_predictions.exists()
    mark_incomplete(again, "Canceled", "Ctrl-C", 1, 4)
    assert "INCOMPLETE" in again.incomplete_marker.read_text() and "1 of 4 mini-batches" in again.incomplete_marker.read_text()


def test_the_layout_follows_the_cloud(tmp_path):
    layout = OutputLayout(tmp_path, "scores.csv", "20260101000000")
    assert layout.user_stream("stdout", "instance-1", "process001") == (
        tmp_path / "logs" / "user" / "stdout" / "instance-1" / "process001.stdout.txt")
    assert layout.container_user_stream("stderr", "instance-2", "process003") == (
        "/mnt/batch/outputs/score/logs/user/stderr/instance-2/process003.stderr.txt")
    assert layout.progress_overview.name == "job_progress_overview.20260101000000.txt"


def test_the_container_plan_mounts_inputs_read_only_and_the_output_writable(data, tmp_path):
    deployment = load_batch_deployment(FIXTURE / "deployment.yml", ["settings.environment_variables.AZUREML_BI_OUTPUT_PATH=/x"])
    layout = OutputLayout(tmp_path / "out", "predictions.csv", "t")
    plan = plan_instance("batch-e-1", deployment, "img", 1, resolve_input(str(data)), layout, "token")
    mounts = {mount.target: mount for mount in plan.mounts}
    assert mounts["/mnt/batch/inputs/data"].read_only and mounts["/mnt/batch/inputs/data"].source == data
    assert not mounts["/mnt/batch/outputs/score"].read_only
    assert mounts["/var/azureml-app/code"].read_only
    assert mounts["/var/azureml-app/azureml-models/linear-model/1/linear"].source == FIXTURE / "model" / "linear"
    assert plan.environment["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/linear-model/1"
    assert plan.environment["AZUREML_BI_OUTPUT_PATH"] == "/mnt/batch/outputs/score"  # the driver's value wins
    assert plan.ports == {"5002/tcp": ("127.0.0.1", None)}
    assert plan.name == "localep-batch-e-1-2" and plan.labels["localep.batch-job"] == "batch-e-1"


def test_job_records_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path))
    record = JobRecord(name="batch-e-1", endpoint="e", deployment="d", deployment_file="/d.yml", input="x", output="/o")
    write_job(record)
    record.status = JobStatus.CANCELED
    record.counts = Counts(items=4, items_succeeded=3)
    write_job(record)
    again = read_job("batch-e-1")
    assert again == record and again.status is JobStatus.CANCELED
    assert [job.name for job in list_jobs()] == ["batch-e-1"]
    assert read_job("nope") is None


def test_a_non_root_user_runs_the_workers_as_itself(data, tmp_path, monkeypatch):
    from localep.batch import plan as batch_plan

    monkeypatch.setattr(batch_plan.os, "getuid", lambda: 1000)
    monkeypatch.setattr(batch_plan.os, "getgid", lambda: 100)
    assert batch_plan.host_user() == "1000:100"
    deployment = load_batch_deployment(FIXTURE / "deployment.yml")
    layout = OutputLayout(tmp_path / "out", "predictions.csv", "t")
    plan = plan_instance("batch-e-1", deployment, "img", 0, resolve_input(str(data)), layout, "token", "1000:100")
    assert plan.user == "1000:100" and plan.environment["HOME"] == "/tmp"
    monkeypatch.setattr(batch_plan.os, "getuid", lambda: 0)
    assert batch_plan.host_user() is None


def test_resources_instance_type_sizes_every_batch_container_like_online(data, tmp_path):
    from localep.memory import GIB
    from localep.runtime.sizing import Machine, sku_container_memory, sku_size
    from localep.yamlspec.skus import find_sku

    deployment = load_batch_deployment(FIXTURE / "deployment.yml", ["resources.instance_type=standard_f2s_v2"])
    assert deployment.instance_type == "standard_f2s_v2"
    sku = find_sku(deployment.instance_type)
    size = sku_size(sku, deployment.name, deployment.instance_type, Machine(cpus=1, memory=64 * GIB))
    assert size.capped == f"{deployment.name}: standard_f2s_v2 capped: 2 vCPU to this machine's 1"
    layout = OutputLayout(tmp_path / "out", "predictions.csv", "t")
    plan = plan_instance("batch-e-1", deployment, "img", 0, resolve_input(str(data)), layout, "token", None, size)
    assert (plan.nano_cpus, plan.mem_limit) == (1_000_000_000, sku_container_memory(sku))
