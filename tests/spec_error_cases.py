"""Broken edits of the bundled example that `up` must reject with a spec error (exit 3), shared by the e2e test
of `up` and the unit test proving `validate` reports every one of them.

Each case: (text to replace, replacement, file, a needle on the line the message must name or None, message regex).
"""

from __future__ import annotations

from pathlib import Path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


SPEC_ERRORS = {
    "yaml-syntax": ("name: blue\n", "name: [blue\n", "blue-deployment.yml", "endpoint_name", r"(?i)yaml|syntax|expected"),
    "unknown-field": ("instance_count: 1\n", "instance_cuont: 1\n", "blue-deployment.yml", "instance_cuont",
                      r"instance_cuont.*did you mean 'instance_count'"),
    "missing-required": ("name: blue\n", "", "blue-deployment.yml", None, r"name"),
    "unknown-sku": ("instance_type: Standard_DS3_v2\n", "instance_type: Standard_DS3_v9\n", "blue-deployment.yml",
                    "instance_type", r"Standard_DS3_v9.*did you mean 'Standard_DS3_v2'"),
    "wrong-type": ("instance_count: 1\n", "instance_count: two\n", "blue-deployment.yml", "instance_count",
                   r"instance_count"),
    "missing-code-dir": ("code: onlinescoring\n", "code: nowhere\n", "blue-deployment.yml", "code: nowhere",
                         r"nowhere"),
    "missing-scoring-script": ("scoring_script: score.py\n", "scoring_script: scoer.py\n", "blue-deployment.yml",
                               "scoring_script", r"scoer\.py"),
    "missing-model-path": ("path: model/regression\n", "path: model/missing\n", "blue-deployment.yml",
                           "path: model/missing", r"model/missing"),
    "missing-conda-file": ("conda_file: environment/conda.yaml\n", "conda_file: environment/nope.yaml\n",
                           "blue-deployment.yml", "conda_file", r"nope\.yaml"),
    "azureml-model-reference": (
        "model:\n  name: numpy-regression-model\n  version: 1\n  path: model/regression\n",
        "model: azureml:numpy-regression-model:1\n", "blue-deployment.yml", "model: azureml",
        r"(?i)azureml:.*local.*model\.path|model\.path.*local"),
    "azureml-environment-reference": (
        "environment:\n  conda_file: environment/conda.yaml\n"
        "  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest\n",
        "environment: azureml:my-env:3\n", "blue-deployment.yml", "environment: azureml", r"(?i)azureml:.*environment"),
}
