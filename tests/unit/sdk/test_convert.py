"""SDK entities -> the cloud's YAML -> localep's typed Deployment, from plain attribute objects (the SDK's own
entities are exercised by tests/e2e/test_sdk.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as Obj

import yaml

from localep.runtime.plan import model_mount
from localep.sdk.convert import deployment_document, endpoint_document
from localep.yamlspec import load_deployment


def _deployment(base: Path, **fields):
    values = dict(
        name="blue", endpoint_name="ep", type="Managed", _base_path=str(base),
        model=Obj(path="model", name="m", version=3, type="custom_model", id=None, _is_anonymous=False),
        code_configuration=Obj(code="src", scoring_script="score.py"),
        environment=Obj(image="python:3.11-slim", conda_file=None, build=None, inference_config=None, os_type=None, id=None),
        environment_variables={"GREETING": "hi", "N": 2}, instance_type="Standard_DS3_v2", instance_count=2,
        request_settings=Obj(request_timeout_ms=3000, max_concurrent_requests_per_instance=2, max_queue_wait_ms=None),
        liveness_probe=Obj(initial_delay=1, period=2, timeout=3, success_threshold=1, failure_threshold=4),
        readiness_probe=None, scale_settings=Obj(type="default"), app_insights_enabled=True, description="d",
        tags={"team": "x"}, model_mount_path=None, egress_public_network_access="enabled",
    )
    values.update(fields)
    return Obj(**values)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "model").mkdir(parents=True)
    (tmp_path / "model" / "w.json").write_text("{}")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return data\n")
    return tmp_path


def _load(tmp_path: Path, document) -> object:
    path = tmp_path / "converted.yml"
    path.write_text(yaml.safe_dump(document))
    return load_deployment(path)


def test_python_built_entity_keeps_every_field_localep_honours(tmp_path):
    base = _project(tmp_path)
    document, conda = deployment_document(_deployment(base))
    assert conda is None
    deployment = _load(tmp_path, document)
    assert deployment.model.path == base / "model" and deployment.model.name == "m" and deployment.model.version == "3"
    assert deployment.code_configuration.code == base / "src" and deployment.code_configuration.scoring_script == "score.py"
    assert deployment.environment.image == "python:3.11-slim"
    assert deployment.environment_variables == {"GREETING": "hi", "N": "2"}
    assert (deployment.instance_type, deployment.instance_count) == ("Standard_DS3_v2", 2)
    assert deployment.request_settings.request_timeout_ms == 3000
    assert deployment.request_settings.max_concurrent_requests_per_instance == 2
    assert vars(deployment.liveness_probe) == {"initial_delay": 1, "period": 2, "timeout": 3, "success_threshold": 1,
                                               "failure_threshold": 4}
    assert deployment.app_insights_enabled is True and deployment.tags == {"team": "x"}


def test_relative_paths_resolve_against_the_entity_base_path_not_the_cwd(tmp_path, monkeypatch):
    base = _project(tmp_path / "yaml-folder")
    monkeypatch.chdir(tmp_path)
    document, _ = deployment_document(_deployment(base))
    assert document["model"]["path"] == str(base / "model")
    assert document["code_configuration"]["code"] == str(base / "src")


def test_single_file_model_and_anonymous_names(tmp_path):
    base = _project(tmp_path)
    model = Obj(path="model/w.json", name="hash", version="1", type=None, id=None, _is_anonymous=True)
    document, _ = deployment_document(_deployment(base, model=model))
    assert document["model"] == {"path": str(base / "model" / "w.json"), "type": "custom_model"}


def test_inline_conda_content_is_returned_to_write_and_a_matching_file_is_used_as_is(tmp_path):
    base = _project(tmp_path)
    content = {"name": "env", "dependencies": ["python=3.11", {"pip": ["numpy"]}]}
    inline = Obj(image="img", conda_file=content, build=None, inference_config=None, os_type=None, id=None)
    document, conda = deployment_document(_deployment(base, environment=inline))
    assert conda == content and "conda_file" not in document["environment"]
    (base / "conda.yml").write_text(yaml.safe_dump(content))
    from_file = Obj(image="img", conda_file=content, _conda_file_path=str(base / "conda.yml"), build=None,
                    inference_config=None, os_type=None, id=None)
    document, conda = deployment_document(_deployment(base, environment=from_file))
    assert conda is None and document["environment"]["conda_file"] == str(base / "conda.yml")


def test_build_context_and_custom_container_routes(tmp_path):
    base = _project(tmp_path)
    (base / "docker").mkdir()
    (base / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    routes = {name: Obj(port=8080, path=path) for name, path in
              (("liveness_route", "/health"), ("readiness_route", "/ready"), ("scoring_route", "/predict"))}
    environment = Obj(image=None, conda_file=None, build=Obj(path="docker", dockerfile_path=None),
                      inference_config=routes, os_type="linux", id=None)
    document, _ = deployment_document(_deployment(base, environment=environment, code_configuration=None))
    deployment = _load(tmp_path, document)
    assert deployment.environment.build.path == base / "docker"
    assert deployment.environment.build.dockerfile_path == "Dockerfile"
    assert deployment.environment.inference_config.scoring_route.path == "/predict"


def test_kubernetes_resources_and_registered_assets_by_reference(tmp_path):
    base = _project(tmp_path)
    resources = Obj(requests=Obj(cpu="0.5", memory="1Gi", gpu=None), limits=Obj(cpu="1", memory="2Gi", gpu=None))
    fetched_env = Obj(id="/subscriptions/x/environments/my-env/versions/4", name="my-env", version="4")
    document, _ = deployment_document(_deployment(base, type="Kubernetes", resources=resources,
                                                  environment=fetched_env, model="azureml:reg-model:2"))
    assert document["type"] == "kubernetes" and "egress_public_network_access" not in document
    assert document["resources"] == {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    assert document["environment"] == "azureml:my-env:4" and document["model"] == "azureml:reg-model:2"


def test_data_collector_and_properties_are_carried_over(tmp_path):
    base = _project(tmp_path)
    collector = Obj(
        collections={
            "model_inputs": Obj(enabled=True, data=None, client_id=None),
            "model_outputs": Obj(enabled="true", data=Obj(data_id=None, name="outs", path="azureml://datastores/ds/paths/o",
                                                          version=2), client_id="abc"),
            "request": Obj(enabled="False", data=None, client_id=None),
        },
        rolling_rate="minute", sampling_rate=0.5, request_logging=Obj(capture_headers=["x-tag"]))
    document, _ = deployment_document(_deployment(base, data_collector=collector, properties={"p": 1}))
    deployment = _load(tmp_path, document)
    collected = deployment.data_collector
    assert [(c.name, c.enabled) for c in collected.collections] == [
        ("model_inputs", True), ("model_outputs", True), ("request", False)]
    outputs = collected.collections[1]
    assert (outputs.datastore, outputs.path, outputs.data_name, outputs.data_version) == ("ds", "o", "outs", "2")
    assert (collected.rolling_rate, collected.sampling_rate, collected.capture_headers) == ("minute", 0.5, ("x-tag",))
    assert document["properties"] == {"p": "1"}
    assert document["data_collector"]["collections"]["model_outputs"]["client_id"] == "abc"


def test_endpoint_document():
    endpoint = Obj(name="ep", auth_mode="key", description=None, traffic={"blue": "90", "green": 10}, mirror_traffic={},
                   tags={"a": 1})
    assert endpoint_document(endpoint) == {"name": "ep", "auth_mode": "key", "traffic": {"blue": 90, "green": 10},
                                           "tags": {"a": "1"}}


def test_single_file_model_lands_directly_in_azureml_model_dir(tmp_path):
    base = _project(tmp_path)
    model = Obj(path="model/w.json", name="m", version="1", type=None, id=None, _is_anonymous=False)
    deployment = _load(tmp_path, deployment_document(_deployment(base, model=model))[0])
    model_dir, mount = model_mount(deployment.model)
    assert mount.source == base / "model" / "w.json"
    assert mount.target == f"{model_dir}/w.json" and model_dir == "/var/azureml-app/azureml-models/m/1"
