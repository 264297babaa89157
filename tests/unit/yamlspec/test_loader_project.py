"""References, local files, --set overrides and endpoint discovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localep.errors import SpecError
from localep.yamlspec import check_runnable_locally, load_deployment, load_project

REFERENCES = """
name: blue
endpoint_name: my-endpoint
model: azureml:my-model:1
code_configuration:
  code: azureml:my-code:3
  scoring_script: score.py
environment: azureml:my-env@latest
instance_type: Standard_DS3_v2
"""


def test_references_load_into_reference_fields(write):
    deployment = load_deployment(write("managed/refs.yml", REFERENCES))
    assert deployment.model.reference == "azureml:my-model:1" and deployment.model.path is None
    assert deployment.environment.reference == "azureml:my-env@latest"
    assert deployment.code_configuration.reference == "azureml:my-code:3"


def test_check_runnable_locally_explains_model_reference(write):
    path = write("managed/refs.yml", REFERENCES)
    with pytest.raises(SpecError) as caught:
        check_runnable_locally(load_deployment(path))
    error = caught.value
    assert error.message == (
        "model: azureml:my-model:1 is a cloud reference; a local run needs the files: set model.path to the local folder"
        ", or register it locally: `localep az ml model create --name my-model --version 1 --path PATH`"
    )
    assert (error.location.file, error.location.line) == (path, 3)
    assert "environment: azureml:my-env@latest is a cloud reference" in error.detail
    assert "set environment.image" in error.detail
    assert "code_configuration.code: azureml:my-code:3 is a cloud reference" in error.detail
    assert "refs.yml:5:" in error.detail


def test_load_project_requires_local_files_unless_told_not_to(write):
    path = write("managed/refs.yml", REFERENCES)
    with pytest.raises(SpecError, match="cloud reference"):
        load_project([path])
    project = load_project([path], require_local=False)
    assert project.deployments[0].model.reference == "azureml:my-model:1"


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ("code: ../model-1/onlinescoring", "code: ../nowhere", 6, "code_configuration.code: ../nowhere does not exist ("),
        ("scoring_script: score.py", "scoring_script: missing.py", 7, "code_configuration.scoring_script: missing.py not found in "),
        ("path: ../model-1/model/weights.txt", "path: ../model-1/model/other.pkl", 4, "model.path: ../model-1/model/other.pkl does not exist ("),
        ("conda_file: ../model-1/environment/conda.yml", "conda_file: ../conda.yml", 9, "environment.conda_file: ../conda.yml does not exist ("),
        ("conda_file: ../model-1/environment/conda.yml", "conda_file: ../model-1", 9, "environment.conda_file: ../model-1 is a folder, expected a file"),
    ],
)
def test_missing_local_files_name_field_line_and_path(tree, old, new, line, message):
    path = tree / "managed" / "green-deployment.yml"
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(SpecError) as caught:
        load_deployment(path)
    assert message in caught.value.message
    assert (caught.value.location.file, caught.value.location.line) == (path, line)


def test_missing_build_context_and_dockerfile(tree):
    path = tree / "byoc" / "deployment.yml"
    (tree / "byoc" / "docker-context" / "Dockerfile").unlink()
    with pytest.raises(SpecError) as caught:
        load_deployment(path)
    assert "environment.build: Dockerfile not found in the build context" in caught.value.message
    assert caught.value.location.line == 4
    shutil.rmtree(tree / "byoc" / "docker-context")
    with pytest.raises(SpecError) as caught:
        load_deployment(path)
    assert "environment.build.path: ./docker-context does not exist" in caught.value.message
    assert caught.value.location.line == 5


def test_overrides_change_the_raw_mapping_before_typing(tree):
    deployment = load_deployment(
        tree / "managed" / "green-deployment.yml",
        ["instance_count=3", "environment_variables.VERSION=1.10", "request_settings.request_timeout_ms=9000"],
    )
    assert deployment.instance_count == 3
    assert deployment.environment_variables == {"VERSION": "1.10"}
    assert deployment.request_settings.request_timeout_ms == 9000
    assert deployment.raw["request_settings"] == {"request_timeout_ms": 9000}


def test_override_replaces_a_subtree(tree, write):
    deployment = load_deployment(
        tree / "managed" / "green-deployment.yml", ["model=azureml:other:2", "environment.image=python:3.11"]
    )
    assert deployment.model.reference == "azureml:other:2"
    assert deployment.environment.image == "python:3.11"


@pytest.mark.parametrize(
    "override, message",
    [
        ("instance_count=two", "instance_count: expected an integer, got the string 'two' (--set instance_count=two)"),
        ("instance_count", "expected key=value, e.g. instance_count=2 (--set instance_count)"),
        ("name.first=x", "cannot set 'name.first': 'name' is the string 'green', not a mapping (--set name.first=x)"),
        ("request_settings.timeout=1", "unknown field 'timeout' in request_settings; did you mean 'request_timeout_ms'? (--set request_settings.timeout=1)"),
        ("instance_count=[1", "the value is not a valid YAML scalar"),
    ],
)
def test_override_errors_name_the_override(tree, override, message):
    path = tree / "managed" / "green-deployment.yml"
    with pytest.raises(SpecError) as caught:
        load_deployment(path, [override])
    assert message in caught.value.message
    assert caught.value.location.file == path


def test_override_error_points_at_the_overridden_line(tree):
    with pytest.raises(SpecError) as caught:
        load_deployment(tree / "managed" / "green-deployment.yml", ["code_configuration.code=../gone"])
    assert caught.value.message.endswith("(--set code_configuration.code=../gone)")
    assert caught.value.location.line == 6


def test_discovery_finds_endpoint_beside_the_deployment(tree):
    project = load_project([tree / "managed" / "green-deployment.yml"])
    assert project.endpoint.file == tree / "managed" / "endpoint.yml"
    assert [deployment.name for deployment in project.deployments] == ["green"]


def test_discovery_explicit_endpoint_file_wins(tree, write):
    other = write("elsewhere/ep.yml", "name: my-endpoint\nauth_mode: aml_token\n")
    project = load_project([tree / "managed" / "blue-deployment.yml"], endpoint_file=other)
    assert project.endpoint.file == other and project.endpoint.auth_mode == "aml_token"
    assert project.endpoint.traffic == {"blue": 100}  # no traffic key: first deployment takes it all


def test_discovery_synthesises_an_endpoint(tree):
    (tree / "managed" / "endpoint.yml").unlink()
    project = load_project([tree / "managed" / "green-deployment.yml", tree / "managed" / "blue-deployment.yml"])
    endpoint = project.endpoint
    assert (endpoint.name, endpoint.file, endpoint.auth_mode) == ("my-endpoint", None, "key")
    assert endpoint.traffic == {"green": 100}
    assert endpoint.location("traffic") is None


def test_mixed_paths_in_any_order(tree):
    managed = tree / "managed"
    project = load_project([managed / "blue-deployment.yml", managed / "endpoint.yml", managed / "green-deployment.yml"])
    assert project.endpoint.traffic == {"blue": 90, "green": 10}
    assert [deployment.name for deployment in project.deployments] == ["blue", "green"]


def test_directory_takes_top_level_yaml_and_ignores_conda_files(tree, write):
    write("managed/conda.yaml", "name: env\ndependencies:\n  - python=3.9\n")
    write("managed/nested/ignored.yml", "name: x\nendpoint_name: other\n")
    project = load_project([tree / "managed"])
    assert project.endpoint.name == "my-endpoint"
    assert [deployment.name for deployment in project.deployments] == ["blue", "green"]


def test_endpoint_file_alone_names_the_endpoint(tree):
    project = load_project([tree / "managed" / "endpoint.yml"], require_local=False)
    assert project.endpoint.name == "my-endpoint" and project.deployments == []


def test_endpoint_name_mismatch_is_an_error(tree, write):
    endpoint = write("managed/other-endpoint.yml", "name: other-endpoint\nauth_mode: key\n")
    with pytest.raises(SpecError) as caught:
        load_project([tree / "managed" / "green-deployment.yml", endpoint])
    error = caught.value
    assert "endpoint_name 'my-endpoint' does not match the endpoint given: name 'other-endpoint'" in error.message
    assert (error.location.file, error.location.line) == (tree / "managed" / "green-deployment.yml", 2)


def test_deployments_of_different_endpoints_cannot_be_synthesised_together(tree, write):
    (tree / "managed" / "endpoint.yml").unlink()
    other = write("managed/other.yml", (tree / "managed" / "green-deployment.yml").read_text()
                  .replace("name: green", "name: red").replace("endpoint_name: my-endpoint", "endpoint_name: other"))
    with pytest.raises(SpecError) as caught:
        load_project([tree / "managed" / "green-deployment.yml", other])
    assert "endpoint_name 'other' differs from 'my-endpoint'" in caught.value.message
    assert caught.value.location == load_project([other]).deployments[0].location("endpoint_name")


def test_duplicate_deployment_names_are_an_error(tree, write):
    copy = write("managed/copy.yml", (tree / "managed" / "green-deployment.yml").read_text())
    with pytest.raises(SpecError, match="deployment name 'green' is also used by") as caught:
        load_project([tree / "managed" / "green-deployment.yml", copy])
    assert caught.value.location.file == copy and caught.value.location.line == 1


def test_batch_deployment_among_paths_is_rejected(tree):
    with pytest.raises(SpecError, match="batch deployment: not supported by this command"):
        load_project([tree / "managed" / "blue-deployment.yml", tree / "batch" / "deployment.yml"])


def test_two_endpoint_files_are_an_error(tree, write):
    second = write("managed/endpoint.yaml", "name: my-endpoint\nauth_mode: key\n")
    with pytest.raises(SpecError, match="more than one endpoint file given"):
        load_project([tree / "managed"])
    assert second.exists()


def test_missing_path_is_an_error(tmp_path: Path):
    with pytest.raises(SpecError, match="no such file or folder"):
        load_project([tmp_path / "nope.yml"])


def test_mlflow_model_without_an_mlmodel_file_is_refused_at_model_path(tmp_path):
    from localep.errors import SpecError
    from localep.yamlspec import load_deployment

    (tmp_path / "model").mkdir()
    deployment_file = tmp_path / "blue.yml"
    deployment_file.write_text(
        "name: blue\nendpoint_name: ep\nmodel:\n  name: m\n  version: 1\n  path: model\n  type: mlflow_model\n"
        "instance_type: Standard_DS3_v2\n")
    with pytest.raises(SpecError) as error:
        load_deployment(deployment_file)
    assert str(error.value).startswith(f"{deployment_file}:6: no MLmodel file in {tmp_path / 'model'}")


def test_set_paths_with_list_indexes(write):
    """az's --set path syntax: dotted keys and [N] list indexes."""
    from localep.yamlspec.yamlio import override_path

    assert override_path("a.b[0].c") == ["a", "b", 0, "c"]
    assert override_path("environment_variables.X") == ["environment_variables", "X"]
    assert override_path("a..b") is None and override_path("a[x]") is None


def test_set_into_a_list_item_and_its_errors(tmp_path):
    from localep.yamlspec.yamlio import apply_overrides, read_document

    path = tmp_path / "x.yml"
    path.write_text("name: x\nitems:\n  - {a: 1}\n  - {a: 2}\n")
    document, problems = apply_overrides(read_document(path), ["items[1].a=3", "items[0].b=new", "tags.k=v"])
    assert problems == []
    assert document.data["items"] == [{"a": 1, "b": "new"}, {"a": 3}]
    assert document.data["tags"] == {"k": "v"}
    _, problems = apply_overrides(read_document(path), ["items[5].a=1", "name[0]=y"])
    assert [p.message for p in problems] == [
        "cannot set 'items[5].a': 'items' has 2 item(s), no index 5 (--set items[5].a=1)",
        "cannot set 'name[0]': 'name' is the string 'x', not a list (--set name[0]=y)",
    ]
