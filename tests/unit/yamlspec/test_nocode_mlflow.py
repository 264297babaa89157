"""No-code MLflow with a data_collector: the model's environment gets azureml-ai-monitoring, as the cloud's has."""

from __future__ import annotations

import yaml

from localep.yamlspec.nocode_mlflow import MONITORING_PACKAGE, with_pip_package


def test_the_package_is_added_to_the_pip_list(tmp_path):
    conda = tmp_path / "conda.yaml"
    conda.write_text("name: m\ndependencies:\n  - python=3.11\n  - pip:\n      - mlflow==2.9.2\n")
    generated = with_pip_package(conda, MONITORING_PACKAGE)
    assert generated != conda and generated.stat().st_mode & 0o777 == 0o600
    data = yaml.safe_load(generated.read_text())
    assert data["dependencies"] == ["python=3.11", {"pip": ["mlflow==2.9.2", MONITORING_PACKAGE]}]
    assert with_pip_package(generated, MONITORING_PACKAGE) == generated  # already there: unchanged


def test_a_conda_file_without_pip_gets_a_pip_list(tmp_path):
    conda = tmp_path / "conda.yaml"
    conda.write_text("dependencies:\n  - numpy\n")
    data = yaml.safe_load(with_pip_package(conda, MONITORING_PACKAGE).read_text())
    assert data["dependencies"] == ["numpy", {"pip": [MONITORING_PACKAGE]}]
