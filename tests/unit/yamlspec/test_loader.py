from __future__ import annotations

from pathlib import Path

import pytest

from deployment_documents import MINIMAL_DEPLOYMENT as MINIMAL
from localep.errors import SpecError
from localep.exitcodes import ExitCode
from localep.yamlspec import load_deployment, load_endpoint, read_deployment, read_document
from localep.yamlspec.model import Route


def spec_error(path: Path, overrides=()) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_deployment(path, overrides)
    assert caught.value.exit_code == ExitCode.SPEC
    return caught.value


def test_managed_deployment_loads_every_field(tree):
    deployment = load_deployment(tree / "managed" / "blue-deployment.yml")
    assert deployment.kind == "managed"
    assert (deployment.name, deployment.endpoint_name) == ("blue", "my-endpoint")
    assert deployment.model.name == "regression" and deployment.model.version == "1"
    assert deployment.model.path == tree / "model-1" / "model"
    assert deployment.model.type == "custom_model"
    assert deployment.code_configuration.code == tree / "model-1" / "onlinescoring"
    assert deployment.code_configuration.script_path.is_file()
    environment = deployment.environment
    assert environment.conda_file == tree / "model-1" / "environment" / "conda.yml"
    assert environment.image.startswith("mcr.microsoft.com/azureml/")
    assert (environment.name, environment.version, environment.os_type) == ("regression-env", "2", "linux")
    assert deployment.environment_variables == {"MODEL_VERSION": "1.10", "DEBUG": "true", "NAME": "blue"}
    assert (deployment.instance_type, deployment.instance_count) == ("Standard_DS3_v2", 2)
    assert deployment.request_settings.request_timeout_ms == 3000
    assert deployment.request_settings.max_concurrent_requests_per_instance == 4
    assert deployment.request_settings.max_queue_wait_ms == 1000
    assert deployment.liveness_probe.period == 6 and deployment.liveness_probe.failure_threshold == 7
    assert deployment.readiness_probe.success_threshold == 2 and deployment.readiness_probe.timeout == 4
    assert deployment.model_mount_path == "/var/models"
    assert deployment.app_insights_enabled is True
    assert deployment.description == "The blue deployment"
    assert deployment.tags == {"colour": "blue"}
    assert deployment.raw["egress_public_network_access"] == "disabled"
    assert deployment.raw["data_collector"]["sampling_rate"] == 0.5
    assert deployment.lines["environment.conda_file"] == 21
    assert deployment.lines["data_collector.request_logging.capture_headers"] == 58
    assert str(deployment.location("environment.conda_file")).endswith("blue-deployment.yml:21")
    assert deployment.model.source.line == 9


def test_defaults_apply_when_fields_are_absent(tree):
    deployment = load_deployment(tree / "managed" / "green-deployment.yml")
    assert deployment.instance_count == 1
    assert deployment.request_settings.request_timeout_ms == 5000
    assert deployment.liveness_probe.initial_delay == 10
    assert deployment.model.path == tree / "model-1" / "model" / "weights.txt"  # a single-file model
    assert deployment.model.mount_name == "model"


def test_kubernetes_deployment_loads_resources(tree):
    deployment = load_deployment(tree / "kubernetes" / "blue-deployment.yml")
    assert deployment.kind == "kubernetes"
    assert deployment.resource_requests.cpu == 0.5
    assert deployment.resource_requests.memory == 512 * 2**20
    assert deployment.resource_limits.cpu == 1.5
    assert deployment.resource_limits.memory == 512 * 2**20
    assert deployment.resource_limits.gpu == 1
    assert deployment.raw["scale_settings"]["type"] == "target_utilization"


def test_gpu_is_an_alias_of_nvidia_gpu(write):
    path = write(
        "kubernetes/gpu.yml",
        MINIMAL + "type: kubernetes\nresources:\n  limits:\n    gpu: 2\n    memory: 1G\n",
    )
    deployment = load_deployment(path)
    assert deployment.resource_limits.gpu == 2
    assert deployment.resource_limits.memory == 10**9


def test_gpu_and_its_alias_together_are_an_error(write):
    path = write(
        "kubernetes/gpu.yml",
        MINIMAL + "type: kubernetes\nresources:\n  limits:\n    gpu: 2\n    nvidia.com/gpu: 2\n",
    )
    error = spec_error(path)
    assert "gpu and nvidia.com/gpu are the same" in error.message
    assert error.location.line == 15


def test_byoc_deployment_needs_no_scoring_script(tree):
    deployment = load_deployment(tree / "byoc" / "deployment.yml")
    assert deployment.code_configuration is None
    assert deployment.environment.build.path == tree / "byoc" / "docker-context"
    assert deployment.environment.build.dockerfile_path == "Dockerfile"
    assert deployment.environment.inference_config.scoring_route == Route(8080, "/score")


def test_endpoint_loads_every_field(tree):
    endpoint = load_endpoint(tree / "managed" / "endpoint.yml")
    assert endpoint.name == "my-endpoint"
    assert endpoint.auth_mode == "key"
    assert endpoint.traffic == {"blue": 90, "green": 10}
    assert endpoint.mirror_traffic == {"green": 20}
    assert endpoint.description == "Regression endpoint"
    assert endpoint.tags == {"team": "ml"}
    assert endpoint.lines["traffic.green"] == 6
    assert endpoint.compute is None


def test_kubernetes_endpoint_auth_mode_casing_is_normalised(tree):
    endpoint = load_endpoint(tree / "kubernetes" / "endpoint.yml")
    assert endpoint.auth_mode == "aml_token"
    assert endpoint.compute == "azureml:inferencecompute"


def test_yaml_syntax_error_names_file_and_line(write):
    path = write("managed/broken.yml", "name: blue\nendpoint_name: [unclosed\ninstance_type: x\n")
    error = spec_error(path)
    assert error.message.startswith("invalid YAML:")
    assert error.location.file == path and error.location.line == 3


def test_empty_file_and_top_level_list_are_errors(write):
    with pytest.raises(SpecError, match="empty"):
        read_document(write("empty.yml", "# nothing\n"))
    with pytest.raises(SpecError, match="expected a mapping of fields") as caught:
        read_document(write("list.yml", "- name: blue\n"))
    assert caught.value.location.line == 1


@pytest.mark.parametrize(
    "extra, line, message",
    [
        ("enviroment_variables:\n  A: b\n", 12, "unknown field 'enviroment_variables'; did you mean 'environment_variables'?"),
        ("request_settings:\n  request_timeout: 10\n", 13, "unknown field 'request_timeout' in request_settings; did you mean 'request_timeout_ms'?"),
        ("liveness_probe:\n  intial_delay: 3\n", 13, "did you mean 'initial_delay'?"),
        ("scale_settings:\n  type: default\n  min_instance: 1\n", 14, "did you mean 'min_instances'?"),
        ("data_collector:\n  collections:\n    inputs:\n      enabeld: 'True'\n", 15, "did you mean 'enabled'?"),
        ("resources:\n  limits:\n    cpu: 1\n", 12, "only Kubernetes deployments (type: kubernetes) take resources"),
    ],
)
def test_unknown_fields_are_errors_with_suggestions(write, extra, line, message):
    path = write("managed/typo.yml", MINIMAL + extra)
    error = spec_error(path)
    assert message in error.message
    assert (error.location.file, error.location.line) == (path, line)


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ("  path: ../model-1/model/", "  pth: ../model-1/model/", 4, "unknown field 'pth' in model; did you mean 'path'?"),
        ("  scoring_script: score.py", "  scoring_scrip: score.py", 7, "did you mean 'scoring_script'?"),
        ("  conda_file: ../", "  condafile: ../", 9, "unknown field 'condafile' in environment; did you mean 'conda_file'?"),
    ],
)
def test_unknown_nested_fields_are_errors(write, old, new, line, message):
    path = write("managed/typo.yml", MINIMAL.replace(old, new))
    error = spec_error(path)
    assert message in error.message
    assert error.location.line == line


def test_unknown_field_in_inference_config_and_build(write):
    path = write(
        "byoc/typo.yml",
        """
        name: byoc
        endpoint_name: byoc-endpoint
        environment:
          build:
            path: ./docker-context
            docker_file: Dockerfile
        instance_type: Standard_DS3_v2
        """,
    )
    error = spec_error(path)
    assert "unknown field 'docker_file' in environment.build; did you mean 'dockerfile_path'?" in error.message
    assert error.location.line == 6


def test_all_problems_of_a_file_are_listed(write):
    path = write("managed/typos.yml", MINIMAL + "instance_count: two\nfoo: 1\n")
    error = spec_error(path)
    assert "instance_count: expected an integer, got the string 'two'" in error.message
    assert error.location.line == 12
    assert "typos.yml:13: error: unknown field 'foo'" in error.detail


def test_missing_required_fields(write):
    path = write("managed/noname.yml", MINIMAL.replace("name: blue\n", "", 1))
    _, problems = read_deployment(read_document(path))
    assert [problem.message for problem in problems] == ["missing required field 'name'"]
    assert problems[0].location.file == path


def test_instance_type_is_not_a_load_error(write):
    deployment = load_deployment(write("managed/notype.yml", MINIMAL.replace("instance_type: Standard_DS3_v2\n", "")))
    assert deployment.instance_type is None


@pytest.mark.parametrize(
    "extra, line, message",
    [
        ("instance_count: '2'\n", 12, "instance_count: expected an integer, got the string '2'"),
        ("environment_variables:\n  A:\n    - x\n", 13, "environment_variables.A: expected a string, number or boolean, got a list"),
        ("app_insights_enabled: yes please\n", 12, "app_insights_enabled: expected true or false"),
        ("request_settings:\n  request_timeout_ms: 0\n", 13, "request_settings.request_timeout_ms: must be at least 1, got 0"),
        ("egress_public_network_access: open\n", 12, "expected one of enabled, disabled, got the string 'open'"),
    ],
)
def test_wrong_types_name_field_expected_type_and_line(write, extra, line, message):
    path = write("managed/types.yml", MINIMAL + extra)
    error = spec_error(path)
    assert message in error.message
    assert error.location.line == line


def test_bad_kubernetes_quantities(write):
    path = write(
        "kubernetes/bad.yml",
        MINIMAL + "type: kubernetes\nresources:\n  requests:\n    cpu: lots\n    memory: 2 gallons\n",
    )
    _, problems = read_deployment(read_document(path))
    messages = {problem.location.line: problem.message for problem in problems}
    assert "resources.requests.cpu: 'lots' is not a CPU quantity" in messages[15]
    assert "resources.requests.memory: '2 gallons' is not a memory quantity" in messages[16]


def test_name_pattern(write):
    path = write("managed/badname.yml", MINIMAL.replace("name: blue", "name: blue_1", 1))
    error = spec_error(path)
    assert "name: 'blue_1' is not a valid name" in error.message
    assert error.location.line == 1


def test_model_must_be_mapping_or_reference(write):
    path = write("managed/badmodel.yml", MINIMAL.replace("model:\n  path: ../model-1/model/\n", "model: my-model:1\n"))
    error = spec_error(path)
    assert "model: expected a mapping" in error.message and "azureml: reference" in error.message
    assert error.location.line == 3


def test_environment_needs_image_or_build(write):
    text = MINIMAL.replace("  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest\n", "")
    error = spec_error(write("managed/noimage.yml", text))
    assert "environment: needs image" in error.message
    assert error.location.line == 8


def test_custom_model_needs_code_configuration(write):
    text = MINIMAL.replace("code_configuration:\n  code: ../model-1/onlinescoring/\n  scoring_script: score.py\n", "")
    error = spec_error(write("managed/nocode.yml", text))
    assert "missing code_configuration" in error.message
    assert error.location.file.name == "nocode.yml"


def test_mlflow_model_needs_no_code_or_environment(write, tree):
    model = tree / "model-1" / "mlflow"
    model.mkdir()
    (model / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n")
    (model / "conda.yaml").write_text("dependencies:\n- python=3.11\n")
    deployment = load_deployment(
        write(
            "managed/mlflow.yml",
            """
            name: mlflow
            endpoint_name: my-endpoint
            model:
              path: ../model-1/mlflow
              type: mlflow_model
            instance_type: Standard_DS3_v2
            """,
        )
    )
    assert deployment.model.type == "mlflow_model"
    assert deployment.environment.conda_file == model / "conda.yaml", "the model's own environment"
    assert deployment.code_configuration.scoring_script == "mlflow_score_script.py"


def test_inference_config_needs_all_routes(write):
    path = write(
        "byoc/partial.yml",
        """
        name: byoc
        endpoint_name: byoc-endpoint
        environment:
          image: my-server:1
          inference_config:
            scoring_route:
              port: 8080
              path: /score
        instance_type: Standard_DS3_v2
        """,
    )
    error = spec_error(path)
    assert "missing liveness_route, readiness_route" in error.message
    assert error.location.line == 5


def test_batch_deployment_is_not_supported(tree):
    error = spec_error(tree / "batch" / "deployment.yml")
    assert error.message == "batch deployment: not supported by this command"
    assert error.location.file == tree / "batch" / "deployment.yml"


def test_duplicate_keys_are_reported_as_warnings(write):
    path = write("managed/dup.yml", MINIMAL + "instance_count: 1\ninstance_count: 2\n")
    deployment, problems = read_deployment(read_document(path))
    assert deployment.instance_count == 2
    assert [(problem.severity, problem.location.line) for problem in problems] == [("warning", 13)]
    assert "written twice (first on line 12)" in problems[0].message
