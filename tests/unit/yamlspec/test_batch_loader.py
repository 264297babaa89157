"""Batch deployment and endpoint YAML: both forms, the cloud's defaults, and errors at file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localep.errors import SpecError
from localep.validate import validate_paths
from localep.yamlspec.batch_loader import load_batch_deployment, load_batch_endpoint, select_deployment
from localep.yamlspec.batch_model import FLAT_FORM, MODEL_FORM, BatchSettings, RetrySettings
from localep.yamlspec.loader import BATCH_DEPLOYMENT, BATCH_ENDPOINT, classify

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "batch"


@pytest.fixture
def project(tmp_path) -> Path:
    target = tmp_path / "batch"
    shutil.copytree(FIXTURE, target)
    return target


def write(project: Path, text: str, name: str = "extra.yml") -> Path:
    path = project / name
    path.write_text(text)
    return path


MINIMAL = """\
name: scorer
endpoint_name: Batch-Test
type: model
model:
  path: model/linear
code_configuration:
  code: code
  scoring_script: batch_score.py
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
  conda_file: environment/conda.yaml
compute: azureml:cluster
"""


def test_the_settings_form_and_the_flat_form_read_the_same_settings(project):
    model_form = load_batch_deployment(project / "deployment.yml")
    flat_form = load_batch_deployment(project / "deployment-flat.yml")
    assert (model_form.form, flat_form.form) == (MODEL_FORM, FLAT_FORM)
    assert model_form.settings == flat_form.settings
    assert model_form.model.path == flat_form.model.path
    assert model_form.environment.conda_file == flat_form.environment.conda_file
    assert model_form.settings_key("mini_batch_size") == "settings.mini_batch_size"
    assert flat_form.settings_key("mini_batch_size") == "mini_batch_size"


def test_the_cloud_defaults_apply_and_endpoint_name_is_lowercased(project):
    deployment = load_batch_deployment(write(project, MINIMAL))
    assert deployment.settings == BatchSettings(
        max_concurrency_per_instance=1, mini_batch_size=10, output_action="append_row",
        output_file_name="predictions.csv", retry_settings=RetrySettings(max_retries=3, timeout=30),
        error_threshold=-1, logging_level="info", environment_variables={})
    assert deployment.instance_count == 1 and deployment.endpoint_name == "batch-test"
    assert deployment.model.path == project / "model" / "linear"


def test_settings_instance_count_is_used_when_resources_has_none(project):
    text = MINIMAL + "settings:\n  instance_count: 3\n  logging_level: DEBUG\n  environment_variables:\n    V: 1.10\n"
    deployment = load_batch_deployment(write(project, text))
    assert deployment.instance_count == 3
    assert deployment.settings.logging_level == "debug"
    assert deployment.settings.environment_variables == {"V": "1.10"}
    both = load_batch_deployment(write(project, text + "resources:\n  instance_count: 2\n", "both.yml"))
    assert both.instance_count == 2


def test_overrides_set_nested_settings(project):
    deployment = load_batch_deployment(project / "deployment.yml", [
        "resources.instance_count=2", "settings.max_concurrency_per_instance=2",
        "settings.environment_variables.K=V", "settings.retry_settings.timeout=5"])
    assert deployment.instance_count == 2
    assert deployment.settings.max_concurrency_per_instance == 2
    assert deployment.settings.environment_variables == {"K": "V"}
    assert deployment.settings.retry_settings == RetrySettings(max_retries=3, timeout=5)


@pytest.mark.parametrize(("extra", "line", "message"), [
    ("settings:\n  mini_batch_sise: 4\n", 14, "unknown field 'mini_batch_sise' in settings; did you mean 'mini_batch_size'?"),
    ("settings:\n  mini_batch_size: many\n", 14, "settings.mini_batch_size: expected an integer, got the string 'many'"),
    ("settings:\n  output_action: append\n", 14, "expected one of append_row, summary_only"),
    ("mini_batch_size: 4\n", 13, "with type: model it belongs under settings: (settings.mini_batch_size)"),
    ("instance_type: Standard_DS3_v2\n", 13, "batch deployments run on a compute cluster"),
    ("settings:\n  output_action: summary_only\n  output_file_name: out.csv\n", 15,
     "When output_action is set to summary_only, the output_file_name need not to be specified."),
    ("settings:\n  error_threshold: -2\n", 14, "must be at least -1"),
])
def test_problems_name_the_file_and_line(project, extra, line, message):
    path = write(project, MINIMAL + extra)
    with pytest.raises(SpecError) as caught:
        load_batch_deployment(path)
    assert message in caught.value.message
    assert caught.value.location.file == path and caught.value.location.line == line


def test_the_flat_form_rejects_a_settings_block(project):
    text = MINIMAL.replace("type: model\n", "") + "settings:\n  mini_batch_size: 4\n"
    with pytest.raises(SpecError, match="only deployments with type: model take a settings: block"):
        load_batch_deployment(write(project, text))


def test_azureml_references_are_explained(project):
    text = MINIMAL.replace("model:\n  path: model/linear\n", "model: azureml:mnist-classifier@latest\n")
    with pytest.raises(SpecError) as caught:
        load_batch_deployment(write(project, text))
    assert "model: azureml:mnist-classifier@latest is a cloud reference" in caught.value.message
    assert caught.value.location.line == 4


def test_pipeline_deployments_are_refused_clearly(project):
    with pytest.raises(SpecError, match="type: pipeline deployments run pipeline components"):
        load_batch_deployment(write(project, MINIMAL.replace("type: model", "type: pipeline")))


def test_missing_local_files_are_errors(project):
    with pytest.raises(SpecError, match=r"code_configuration\.scoring_script: missing\.py not found"):
        load_batch_deployment(write(project, MINIMAL.replace("batch_score.py", "missing.py")))


def test_classify_tells_batch_files_from_online_ones(project):
    flat_without_schema = {"name": "a", "endpoint_name": "b", "mini_batch_size": 3}
    assert classify(flat_without_schema) == BATCH_DEPLOYMENT
    assert classify({"name": "a", "endpoint_name": "b", "compute": "azureml:c"}) == BATCH_DEPLOYMENT
    assert classify({"name": "e", "defaults": {"deployment_name": "a"}}) == BATCH_ENDPOINT


def test_batch_endpoint_and_its_deployments(project):
    endpoint = load_batch_endpoint(project / "endpoint.yml")
    assert (endpoint.name, endpoint.auth_mode, endpoint.default_deployment) == ("batch-test", "aad_token", "linear")
    assert select_deployment(endpoint, None) == project / "deployment.yml"
    assert select_deployment(endpoint, "linear-flat") == project / "deployment-flat.yml"
    with pytest.raises(SpecError, match="deployment 'other' not found"):
        select_deployment(endpoint, "other")


def test_batch_endpoint_errors(project):
    with pytest.raises(SpecError, match="expected one of aad_token"):
        load_batch_endpoint(write(project, "name: batch-test\nauth_mode: key\n", "ep.yml"))
    with pytest.raises(SpecError, match="batch endpoints have no traffic split"):
        load_batch_endpoint(write(project, "name: batch-test\ntraffic:\n  a: 100\n", "ep.yml"))
    lonely = write(project, "name: lonely\n", "lonely-endpoint.yml")
    with pytest.raises(SpecError, match="No deployment exists for this endpoint"):
        select_deployment(load_batch_endpoint(lonely), None)
    no_default = write(project, "name: batch-test\n", "ep.yml")
    with pytest.raises(SpecError, match="No valid deployments to route to"):
        select_deployment(load_batch_endpoint(no_default), None)


def test_validate_checks_batch_files(project):
    report = validate_paths([project])
    assert not report.errors, [str(problem) for problem in report.errors]
    assert {path.name for path in report.checked} >= {"deployment.yml", "deployment-flat.yml", "endpoint.yml"}
    write(project, MINIMAL + "settings:\n  mini_batch_sise: 4\n", "broken.yml")
    report = validate_paths([project / "broken.yml"])
    assert [(problem.location.line, problem.message) for problem in report.errors] == [
        (14, "unknown field 'mini_batch_sise' in settings; did you mean 'mini_batch_size'?")]


def test_validate_reports_a_batch_script_without_run(project):
    (project / "code" / "batch_score.py").write_text("def init():\n    pass\n")
    report = validate_paths([project / "deployment.yml"])
    assert any("defines no run()" in problem.message for problem in report.errors)
