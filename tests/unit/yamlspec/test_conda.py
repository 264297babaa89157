"""Conda files: python, conda and pip packages, and errors naming file and line."""

from __future__ import annotations

import pytest

from localep.errors import SpecError
from localep.yamlspec import parse_conda_file


def test_conda_file_parses_into_python_conda_and_pip_packages(tree):
    conda = parse_conda_file(tree / "model-1" / "environment" / "conda.yml")
    assert conda.name == "model-env"
    assert conda.python_version == "3.9"
    assert conda.conda_packages == ["numpy=1.23.5"]
    assert conda.pip_packages == ["azureml-inference-server-http", "scikit-learn==1.2.2"]
    assert conda.lines["dependencies.pip"] == 8
    assert conda.lines["pip:scikit-learn==1.2.2"] == 10
    assert conda.lines["python"] == 5


@pytest.mark.parametrize(
    "spec, version",
    [("python=3.8", "3.8"), ("python==3.10.4", "3.10.4"), ("python>=3.9", ">=3.9"), ("python", None),
     ("conda-forge::python=3.11", "3.11"), ("python 3.8.*", "3.8.*")],
)
def test_python_version_forms(write, spec, version):
    conda = parse_conda_file(write("env.yml", f"dependencies:\n  - {spec}\n  - python-dateutil\n"))
    assert conda.python_version == version
    assert conda.conda_packages == ["python-dateutil"]
    assert conda.name is None and conda.pip_packages == []


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("name: env\ndependencies: [python=3.9\n", 3, "invalid YAML"),
        ("name: env\ndependencies: numpy\n", 2, "dependencies: expected a list, got the string 'numpy'"),
        ("dependencies:\n  - pip:\n      numpy: 1\n", 2, "dependencies: pip: expected a list, got a mapping"),
        ("dependencies:\n  - pip:\n      - [numpy]\n", 3, "expected a requirement string, got a list"),
        ("dependencies:\n  - conda: [numpy]\n", 2, "unknown entry 'conda' in dependencies"),
        ("name: env\ndependecies:\n  - numpy\n", 2, "unknown field 'dependecies'; did you mean 'dependencies'?"),
        ("dependencies:\n  - [numpy]\n", 2, "dependencies.0: expected a package spec"),
    ],
)
def test_malformed_conda_files_name_file_and_line(write, text, line, message):
    path = write("env.yml", text)
    with pytest.raises(SpecError) as caught:
        parse_conda_file(path)
    assert message in caught.value.message
    assert (caught.value.location.file, caught.value.location.line) == (path, line)

