"""A batch deployment exports as an Indexed Job over a ReadWriteMany claim; both validate against the Kubernetes
schemas, and the image's driver command carries the deployment's settings (no Docker)."""

from __future__ import annotations

from pathlib import Path

from kube_schemas import kubernetes_errors

from click_runner import cli_runner
from localep.cli import cli
from localep.kube import objects as k8s
from localep.kube.batch import batch_objects
from localep.portable.recipe import plan_batch_package
from localep.yamlspec.batch_loader import load_batch_deployment

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "batch" / "deployment.yml"


def test_the_job_and_claim_validate_and_carry_the_deployments_shape():
    deployment = load_batch_deployment(FIXTURE, ["resources.instance_count=3"])
    job, claim = None, None
    for obj in batch_objects(deployment, "registry.local/batch-test-linear:1", "5Gi"):
        document = k8s.manifest(obj)
        assert kubernetes_errors(document) == [], obj.KIND
        if isinstance(obj, k8s.Job):
            job = document
        else:
            claim = document
    assert job is not None and claim is not None
    assert (job["spec"]["completions"], job["spec"]["parallelism"], job["spec"]["completionMode"]) == (3, 3, "Indexed")
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert pod["containers"][0]["volumeMounts"] == [{"name": "batch-data", "mountPath": "/mnt/batch"}]
    assert claim["spec"] == {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "5Gi"}}}


def test_the_driver_command_carries_the_settings():
    deployment = load_batch_deployment(FIXTURE, ["resources.instance_count=3",
                                                 "settings.max_concurrency_per_instance=2"])
    recipe = plan_batch_package(deployment)
    command = list(recipe.command)
    flags = dict(zip(command[2::2], command[3::2]))
    assert command[1] == "/opt/localep/batch_shard.py"
    assert flags["--count"] == "3" and flags["--workers"] == "2" and flags["--mini-batch-size"] == "10"
    assert flags["--input"] == "/mnt/batch/inputs/data" and flags["--output"] == "/mnt/batch/outputs/score"
    assert flags["--script"] == "/var/azureml-app/code/batch_score.py"
    assert recipe.environment["AZUREML_BI_OUTPUT_PATH"] == "/mnt/batch/outputs/score"
    assert [c.layer for c in recipe.copies] == ["model", "code", "driver", "driver"]


def test_export_no_build_of_a_batch_deployment(tmp_path):
    result = cli_runner().invoke(cli, ["export", "kubernetes", str(FIXTURE), "--image-prefix", "registry.local/",
                                       "-o", str(tmp_path / "k8s"), "--no-build"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "k8s").iterdir()) == [
        "job-batch-test-linear.yaml", "persistentvolumeclaim-batch-test-linear-data.yaml"]
