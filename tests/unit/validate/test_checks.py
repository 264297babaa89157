from __future__ import annotations

from pathlib import Path

import pytest

from localep.validate import validate_paths


def messages(report, severity="error"):
    return [(d.location.file.name, d.location.line, d.message) for d in report.diagnostics if d.severity == severity]


def test_good_samples_validate_clean(tree):
    report = validate_paths([tree / "managed", tree / "kubernetes", tree / "byoc"])
    assert report.diagnostics == []
    assert len(report.checked) == 6


def test_loader_errors_are_reported_with_file_and_line(tree):
    path = tree / "managed" / "green-deployment.yml"
    path.write_text(path.read_text() + "instance_cont: 2\n")
    assert messages(validate_paths([path])) == [
        ("green-deployment.yml", 12, "unknown field 'instance_cont'; did you mean 'instance_count'?")
    ]


def test_all_files_are_checked_even_after_errors(tree):
    (tree / "managed" / "blue-deployment.yml").write_text("name: blue\nendpoint_name: [\n")
    green = tree / "managed" / "green-deployment.yml"
    green.write_text(green.read_text().replace("instance_type: Standard_DS2_v2\n", "endpoint_name: my-endpoint\n"))
    found = messages(validate_paths([tree / "managed"]))
    assert found[0][:2] == ("blue-deployment.yml", 3) and found[0][2].startswith("invalid YAML")
    assert ("green-deployment.yml", None, "missing instance_type: managed deployments need one (e.g. instance_type: Standard_DS3_v2)") in found


def test_kubernetes_deployments_need_no_instance_type(tree):
    path = tree / "kubernetes" / "blue-deployment.yml"
    path.write_text(path.read_text().replace("instance_type: defaultinstancetype\n", ""))
    assert validate_paths([path]).diagnostics == []


def test_scoring_script_syntax_error_points_into_the_script(tree):
    script = tree / "model-1" / "onlinescoring" / "score.py"
    script.write_text("def init():\n    pass\n\ndef run(data)\n    return data\n")
    found = messages(validate_paths([tree / "managed" / "green-deployment.yml"]))
    assert [(name, line) for name, line, _ in found] == [("score.py", 4)]
    assert found[0][2].startswith("syntax error: ")  # the wording differs between Python versions


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def run(data):\n    return data\n", [("score.py", None, "the scoring script defines no init() function; the inference server calls init() once at start")]),
        ("def init():\n    pass\n", [("score.py", None, "the scoring script defines no run() function; the inference server calls run(data) for every request")]),
        ("def init():\n    pass\n\ndef run():\n    return 1\n", [("score.py", 4, "run() takes no argument; the inference server calls run(data) with the request")]),
    ],
)
def test_scoring_script_needs_init_and_run(tree, source, expected):
    (tree / "model-1" / "onlinescoring" / "score.py").write_text(source)
    assert messages(validate_paths([tree / "managed" / "green-deployment.yml"])) == expected


def test_scoring_script_functions_may_be_bound_in_many_ways(tree):
    (tree / "model-1" / "onlinescoring" / "score.py").write_text(
        "try:\n    from helpers import init\nexcept ImportError:\n    raise\n\nasync def run(request, *args):\n    return 1\n"
    )
    assert validate_paths([tree / "managed" / "green-deployment.yml"]).diagnostics == []


def test_conda_file_without_inference_server(tree):
    conda = tree / "model-1" / "environment" / "conda.yml"
    conda.write_text(conda.read_text().replace("      - azureml-inference-server-http\n", ""))
    assert messages(validate_paths([tree / "managed" / "green-deployment.yml"])) == [
        ("conda.yml", 8, "the environment lacks the inference server: add azureml-inference-server-http (or azureml-defaults) under pip:")
    ]


@pytest.mark.parametrize("entry", ["azureml-defaults==1.49.0", "azureml_inference_server_http>=1.0", "-r requirements.txt"])
def test_inference_server_spellings_and_requirements_files(tree, entry):
    folder = tree / "model-1" / "environment"
    (folder / "requirements.txt").write_text("# serving\nazureml-inference-server-http~=1.0\n")
    conda = folder / "conda.yml"
    conda.write_text(conda.read_text().replace("- azureml-inference-server-http", f"- {entry}"))
    assert validate_paths([tree / "managed" / "green-deployment.yml"]).diagnostics == []


def test_malformed_conda_file_is_reported(tree):
    (tree / "model-1" / "environment" / "conda.yml").write_text("dependencies:\n  - pip: numpy\n")
    assert messages(validate_paths([tree / "managed" / "green-deployment.yml"])) == [
        ("conda.yml", 2, "dependencies: pip: expected a list, got the string 'numpy'")
    ]


def test_references_are_errors_as_they_are_for_up(write):
    path = write(
        "managed/refs.yml",
        "name: refs\nendpoint_name: my-endpoint\nmodel: azureml:m:1\nenvironment: azureml:e@latest\n"
        "code_configuration:\n  code: ../model-1/onlinescoring\n  scoring_script: score.py\ninstance_type: Standard_DS3_v2\n",
    )
    report = validate_paths([path])
    assert report.warnings == []
    assert [(line, message.split(";")[0]) for _, line, message in messages(report, "error")] == [
        (3, "model: azureml:m:1 is a cloud reference"),
        (4, "environment: azureml:e@latest is a cloud reference"),
    ]


def test_traffic_must_name_existing_deployments(tree, write):
    endpoint = write("managed/endpoint.yml", "name: my-endpoint\ntraffic:\n  blue: 50\n  purple: 50\n")
    assert messages(validate_paths([endpoint, tree / "managed" / "blue-deployment.yml"])) == [
        ("endpoint.yml", 4, "traffic: no deployment named 'purple' (deployments found: blue, green)")
    ]


def test_traffic_deployment_of_another_endpoint(tree):
    green = tree / "managed" / "green-deployment.yml"
    green.write_text(green.read_text().replace("endpoint_name: my-endpoint", "endpoint_name: my-endpont"))
    found = messages(validate_paths([tree / "managed"]))
    assert any(
        line == 6 and "traffic: deployment 'green'" in message and "has endpoint_name 'my-endpont', not 'my-endpoint'" in message
        for _, line, message in found
    )


def test_endpoint_alone_is_not_cross_checked(write):
    endpoint = write("alone/endpoint.yml", "name: lonely\ntraffic:\n  blue: 100\n")
    assert validate_paths([endpoint]).diagnostics == []


def test_traffic_sum_and_mirror_rules(write, tree):
    endpoint = write(
        "managed/endpoint.yml",
        "name: my-endpoint\ntraffic:\n  blue: 80\n  green: 30\nmirror_traffic:\n  blue: 10\n  green: 60\n",
    )
    assert messages(validate_paths([endpoint])) == [
        ("endpoint.yml", 2, "traffic adds up to 110%; it must be at most 100%"),
        ("endpoint.yml", 5, "mirror_traffic names 2 deployments (blue, green); at most 1 may receive mirrored traffic"),
        ("endpoint.yml", 7, "mirror_traffic for 'green' is 60%; it must be at most 50%"),
    ]


def test_traffic_values_must_be_integers(write):
    endpoint = write("managed/endpoint.yml", "name: my-endpoint\ntraffic:\n  blue: '90'\n  green: 10.5\n")
    assert messages(validate_paths([endpoint])) == [
        ("endpoint.yml", 3, "traffic.blue: expected an integer, got the string '90'"),
        ("endpoint.yml", 4, "traffic.green: expected an integer, got the number 10.5"),
    ]


def test_other_yaml_is_skipped_and_batch_checked(tree, write):
    workflow = write("ci/workflow.yml", "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    helm = write("ci/template.yaml", "replicas: {{ .Values.count }\n")
    report = validate_paths([workflow, helm, tree / "model-1" / "environment" / "conda.yml", tree / "batch"])
    assert report.skipped == [workflow, helm, tree / "model-1" / "environment" / "conda.yml"]
    assert messages(report) == [
        ("deployment.yml", 4, "model: azureml:mnist:1 is a cloud reference; a local run needs the files: "
         "set model.path to the local folder, or register it locally: "
         "`localep az ml model create --name mnist --version 1 --path PATH`")
    ]
    assert messages(report, "warning") == []


def test_syntax_error_in_a_spec_is_an_error(write):
    path = write("managed/broken-endpoint.yml", "name: my-endpoint\nauth_mode: [key\n")
    found = messages(validate_paths([path]))
    assert found[0][0] == "broken-endpoint.yml" and found[0][2].startswith("invalid YAML")
    assert found[0][1] == 3


def test_missing_files_are_reported_once_each(tree):
    managed = tree / "managed"
    for name in ("blue-deployment.yml", "green-deployment.yml"):
        path = managed / name
        path.write_text(path.read_text().replace("../model-1/environment/conda.yml", "../gone.yml"))
    found = messages(validate_paths([managed]))
    assert [(name, line) for name, line, _ in found] == [("blue-deployment.yml", 21), ("green-deployment.yml", 9)]
    assert all("environment.conda_file: ../gone.yml does not exist" in message for _, _, message in found)


def test_missing_path_argument(tmp_path: Path):
    from localep.errors import SpecError

    with pytest.raises(SpecError, match="no such file or folder"):
        validate_paths([tmp_path / "missing.yml"])


def _mlflow_deployment(folder: Path, extra: str = "", model_type: str = "mlflow_model") -> Path:
    file = folder / "blue.yml"
    file.write_text(f"name: blue\nendpoint_name: ep\nmodel:\n  path: model\n  type: {model_type}\n"
                    f"instance_type: Standard_DS3_v2\n{extra}")
    return file


def test_validate_accepts_a_no_code_mlflow_model_whose_environment_lacks_the_server(tmp_path):
    from localep.validate import validate_paths

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n")
    (tmp_path / "model" / "conda.yaml").write_text("dependencies:\n- python=3.11\n- pip:\n  - mlflow\n")
    report = validate_paths([_mlflow_deployment(tmp_path)])
    assert report.errors == [], [str(d) for d in report.errors]


def test_validate_checks_the_model_folder_also_when_a_scoring_script_serves_it(tmp_path):
    from localep.validate import validate_paths

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors:\n  keras:\n    data: data\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def init():\n    pass\n\n\ndef run(data):\n    return data\n")
    (tmp_path / "env.yml").write_text("dependencies:\n- pip:\n  - azureml-inference-server-http\n")
    extra = "code_configuration:\n  code: src\n  scoring_script: score.py\nenvironment:\n  image: x:1\n  conda_file: env.yml\n"
    report = validate_paths([_mlflow_deployment(tmp_path, extra)])
    assert [d.message for d in report.errors] == [
        f"{tmp_path / 'model' / 'MLmodel'} has no python_function flavor (it has keras); no-code deployments load "
        "models with mlflow.pyfunc only, as the cloud does"
    ]
    assert report.errors[0].location.line == 4


def test_validate_reports_every_triton_model_folder_without_versions(tmp_path):
    from localep.validate import validate_paths

    for name in ("a", "b"):
        (tmp_path / "model" / name).mkdir(parents=True)
    report = validate_paths([_mlflow_deployment(tmp_path, model_type="triton_model")])
    assert len(report.errors) == 2
    assert all("has no numbered version folder" in d.message for d in report.errors)
