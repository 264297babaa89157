"""The batch container plan: inputs read-only, the output writable, the workers as the user, sized like online."""

from __future__ import annotations

from pathlib import Path

from localep.batch.inputs import resolve_input
from localep.batch.layout import OutputLayout
from localep.batch.plan import plan_instance
from localep.yamlspec.batch_loader import load_batch_deployment

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "batch"


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

