"""Manifests for a two-deployment endpoint (traffic, mirror, probes, SKU and `resources` sizes, target_utilization)
carry those values and validate against the Kubernetes and Gateway API schemas (no Docker, no cluster)."""

from __future__ import annotations

import dataclasses
import stat
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from kube_schemas import kubernetes_errors

from click_runner import cli_runner
from localep.cli import cli
from localep.images.kinds import server_for
from localep.kube import objects as k8s
from localep.kube.export import write_manifests
from localep.kube.online import PackagedDeployment, endpoint_objects, gateway_duration, object_name, resources
from localep.yamlspec import load_project

COMMON = """\
endpoint_name: ep-two
model: {name: reg, version: 3, path: model}
code_configuration: {code: src, scoring_script: score.py}
environment: {image: "localep-test/debian-python:bookworm", conda_file: conda.yml}
"""
BLUE = COMMON + """\
name: blue
instance_type: Standard_DS3_v2
instance_count: 2
environment_variables: {MODE: fast}
request_settings: {request_timeout_ms: 3000, max_concurrent_requests_per_instance: 4}
liveness_probe: {initial_delay: 5, period: 7, timeout: 3, failure_threshold: 4}
readiness_probe: {initial_delay: 1, period: 2, success_threshold: 2}
"""
GREEN = COMMON + """\
name: green
type: kubernetes
instance_count: 1
resources:
  requests: {cpu: 500m, memory: 1Gi}
  limits: {cpu: "1", memory: 2Gi, nvidia.com/gpu: 1}
scale_settings: {type: target_utilization, min_instances: 1, max_instances: 5, polling_interval: 10,
                 target_utilization_percentage: 60}
"""
ENDPOINT = "name: ep-two\nauth_mode: key\ntraffic: {blue: 100, green: 0}\nmirror_traffic: {green: 20}\n"


def write_project(folder: Path) -> List[Path]:
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return data\n")
    (folder / "model").mkdir()
    (folder / "model" / "weights.json").write_text("{}")
    (folder / "conda.yml").write_text(textwrap.dedent("""\
        name: env
        dependencies:
          - python=3.11
          - pip:
            - azureml-inference-server-http
        """))
    files = []
    for name, text in (("endpoint.yml", ENDPOINT), ("blue.yml", BLUE), ("green.yml", GREEN)):
        (folder / name).write_text(text)
        files.append(folder / name)
    return files


@pytest.fixture
def manifests(tmp_path) -> Dict[str, dict]:
    project = load_project(write_project(tmp_path / "project"))
    packaged = [PackagedDeployment(d, f"registry.local/{object_name(d.endpoint_name, d.name)}:1",
                                   server_for(d.environment)) for d in project.deployments]
    objects = endpoint_objects(project.endpoint, packaged, k8s.ParentReference(name="gw", namespace="infra"))
    return {f"{obj.KIND}/{obj.metadata.name}": k8s.manifest(obj) for obj in objects}


def container(manifest: dict) -> dict:
    return manifest["spec"]["template"]["spec"]["containers"][0]


def test_every_object_validates_against_its_schema(manifests, gateway_api):
    assert sorted(manifests) == ["Deployment/ep-two-blue", "Deployment/ep-two-green", "HTTPRoute/ep-two",
                                 "HorizontalPodAutoscaler/ep-two-green", "Service/ep-two-blue", "Service/ep-two-green"]
    for key, document in manifests.items():
        errors = gateway_api.errors(document) if key.startswith("HTTPRoute/") else kubernetes_errors(document)
        assert errors == [], key


def test_the_validators_catch_what_a_cluster_would_refuse(manifests, gateway_api):
    """So the test above can fail: a wrong type, an unknown field and an out-of-range mirror share."""
    deployment = manifests["Deployment/ep-two-blue"]
    deployment["spec"]["replicas"] = "two"
    assert kubernetes_errors(deployment)
    service = manifests["Service/ep-two-blue"]
    service["spec"]["portz"] = []
    assert kubernetes_errors(service)
    route = manifests["HTTPRoute/ep-two"]
    route["spec"]["rules"][-1]["filters"][0]["requestMirror"]["percent"] = 140
    route["spec"]["rules"][0]["backendRefs"][0]["wieght"] = 1
    errors = gateway_api.errors(route)
    assert any("requestMirror/percent: maximum" in error for error in errors)
    assert "/spec/rules/0/backendRefs/0/wieght: not a field of HTTPBackendRef" in errors


def test_replicas_sizes_probes_and_server_variables(manifests):
    blue = manifests["Deployment/ep-two-blue"]
    assert blue["spec"]["replicas"] == 2
    served = container(blue)
    assert served["image"] == "registry.local/ep-two-blue:1"
    # What `localep up` gives Standard_DS3_v2: 4 vCPUs and the 10.9 GiB a 14 GiB node leaves allocatable.
    assert served["resources"] == {"requests": {"cpu": "4", "memory": "11128Mi"}, "limits": {"cpu": "4", "memory": "11128Mi"}}
    assert served["livenessProbe"] == {"httpGet": {"path": "/", "port": 5001}, "initialDelaySeconds": 5,
                                       "periodSeconds": 7, "timeoutSeconds": 3, "successThreshold": 1,
                                       "failureThreshold": 4}
    assert served["readinessProbe"]["successThreshold"] == 2 and served["readinessProbe"]["periodSeconds"] == 2
    assert served["env"] == [{"name": "MODE", "value": "fast"}, {"name": "SCORING_TIMEOUT_MS", "value": "3000"},
                             {"name": "WORKER_COUNT", "value": "4"}]
    green = container(manifests["Deployment/ep-two-green"])
    assert green["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"},
                                  "limits": {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": "1"}}


def test_target_utilization_becomes_a_horizontal_pod_autoscaler(manifests):
    hpa = manifests["HorizontalPodAutoscaler/ep-two-green"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ep-two-green"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 5)
    assert hpa["spec"]["metrics"][0]["resource"] == {"name": "cpu",
                                                     "target": {"type": "Utilization", "averageUtilization": 60}}
    assert hpa["metadata"]["annotations"]["localep.io/polling-interval"] == "10s"
    assert "HorizontalPodAutoscaler/ep-two-blue" not in manifests


def test_the_route_carries_weights_mirror_and_the_pinning_header(manifests):
    route = manifests["HTTPRoute/ep-two"]
    assert route["spec"]["parentRefs"] == [{"name": "gw", "namespace": "infra"}]
    pinned, weighted = route["spec"]["rules"][:2], route["spec"]["rules"][2]
    assert [(r["matches"][0]["headers"][0]["value"], r["backendRefs"][0]["name"]) for r in pinned] == [
        ("blue", "ep-two-blue"), ("green", "ep-two-green")]
    assert pinned[0]["timeouts"] == {"request": "3s"}
    assert weighted["backendRefs"] == [{"name": "ep-two-blue", "port": 5001, "weight": 100}]
    assert weighted["filters"] == [{"type": "RequestMirror", "requestMirror": {
        "backendRef": {"name": "ep-two-green", "port": 5001}, "percent": 20}}]
    assert "does not check keys" in route["metadata"]["annotations"]["localep.io/not-done-by-a-plain-gateway"]


def test_names_and_durations_fit_the_apis():
    assert object_name("Ep", "Blue_1") == "ep-blue-1"
    long = object_name("e" * 32, "d" * 32)
    assert len(long) == 63 and long == object_name("e" * 32, "d" * 32)
    assert [gateway_duration(ms) for ms in (5000, 1500, 180000, 123456)] == ["5s", "1500ms", "180s", "124s"]


def test_files_are_owner_only_yaml_with_a_header(tmp_path):
    project = load_project(write_project(tmp_path / "project"))
    packaged = [PackagedDeployment(d, "r/x:1", server_for(d.environment)) for d in project.deployments]
    objects = endpoint_objects(project.endpoint, packaged, k8s.ParentReference(name="gw"))
    written = write_manifests(objects, tmp_path / "out" / "k8s", "endpoint.yml")
    assert stat.S_IMODE((tmp_path / "out" / "k8s").stat().st_mode) == 0o700
    for path, obj in zip(written, objects):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert text.startswith(f"# {obj.KIND} {obj.metadata.name}: written by localep")
        assert yaml.safe_load(text) == k8s.manifest(obj)
    assert "# A plain Gateway does not check keys" in (tmp_path / "out" / "k8s" / "httproute-ep-two.yaml").read_text()


def test_export_no_build_writes_the_endpoint_without_docker(tmp_path):
    files = write_project(tmp_path / "project")
    result = cli_runner().invoke(cli, ["export", "kubernetes", *map(str, files), "--image-prefix", "registry.local/team/",
                                       "-o", str(tmp_path / "k8s"), "--no-build", "--tag", "7", "--json"])
    assert result.exit_code == 0, result.output
    summary = yaml.safe_load(result.stdout)
    assert summary["images"] == {"blue": "registry.local/team/ep-two-blue:7", "green": "registry.local/team/ep-two-green:7"}
    assert sorted(Path(f).name for f in summary["files"]) == [
        "deployment-ep-two-blue.yaml", "deployment-ep-two-green.yaml", "horizontalpodautoscaler-ep-two-green.yaml",
        "httproute-ep-two.yaml", "service-ep-two-blue.yaml", "service-ep-two-green.yaml"]
    help_text = cli_runner().invoke(cli, ["export", "kubernetes", "--help"]).output
    assert "localep export kubernetes endpoint.yml blue.yml green.yml --image-prefix" in help_text


def test_gpu_skus_ask_for_whole_gpus(tmp_path):
    project = load_project(write_project(tmp_path / "project"))
    blue = project.deployments[0]
    for sku, gpus in (("Standard_NC4as_T4_v3", "1"), ("Standard_NV6ads_A10_v5", "1")):
        sized = resources(dataclasses.replace(blue, instance_type=sku))
        assert sized is not None and sized.limits is not None and sized.limits["nvidia.com/gpu"] == gpus
    assert resources(dataclasses.replace(blue, instance_type=None)) is None
