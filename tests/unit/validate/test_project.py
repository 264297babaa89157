"""`validate` runs the checks `up` runs: every broken spec that makes `up` exit 3 makes `validate` report an error.

`up` runs in-process against a Docker address where nothing listens, so a spec that passes the loader ends with
exit 6 (no engine) before anything starts; only the spec decides between 3 and the rest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List, Tuple

import pytest

from click_runner import cli_runner
from localep.cli import cli
from localep.exitcodes import ExitCode
from spec_error_cases import SPEC_ERRORS, edit

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "numpy-regression"
NO_CODE = "code_configuration:\n  code: onlinescoring\n  scoring_script: score.py\n"

# Broken projects beyond single-file edits: (file, old, new) edits applied in order.
PROJECT_ERRORS = {
    "endpoint-name-mismatch": [("endpoint.yml", "name: numpy-regression\n", "name: another-endpoint\n")],
    "no-code-custom-model": [("blue-deployment.yml", NO_CODE, "")],
    "no-code-mlflow-model-without-mlmodel": [
        ("blue-deployment.yml", NO_CODE, ""),
        ("blue-deployment.yml", "  path: model/regression\n", "  path: model/regression\n  type: mlflow_model\n"),
    ],
    "duplicate-deployment-name": [("green-deployment.yml", "", "")],
}


def cases() -> List[Tuple[str, List[Tuple[str, str, str]]]]:
    single = [(name, [(file, old, new)]) for name, (old, new, file, _, _) in SPEC_ERRORS.items()]
    return sorted(single + list(PROJECT_ERRORS.items()))


def broken_project(tmp_path: Path, edits: List[Tuple[str, str, str]]) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    for file, old, new in edits:
        path = project / file
        if not path.exists():  # a second deployment under the first one's name
            shutil.copy(project / "blue-deployment.yml", path)
            continue
        edit(path, old, new)
    return project


@pytest.mark.parametrize("name,edits", cases(), ids=[name for name, _ in cases()])
def test_validate_reports_what_up_rejects(tmp_path, monkeypatch, name, edits):
    project = broken_project(tmp_path, edits)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path / "home"))
    up = cli_runner().invoke(cli, ["up", "--detach", str(project)])
    assert up.exit_code == ExitCode.SPEC, f"{name}: up exited {up.exit_code}: {up.stderr}"
    validate = cli_runner().invoke(cli, ["validate", "--json", str(project)])
    report = json.loads(validate.stdout)
    assert validate.exit_code == ExitCode.SPEC and report["errors"] >= 1, f"{name}: validate found nothing: {report}"
    up_says = up.stderr.split("error: ", 1)[1].splitlines()[0]
    places = [f"{d['file']}:{d['line']}: " if d["line"] else f"{d['file']}: " for d in report["diagnostics"]]
    assert any(up_says.startswith(place) for place in places), (
        f"{name}: up said {up_says!r}; validate named only {places}"
    )


def test_a_clean_project_passes_both(tmp_path, monkeypatch):
    project = broken_project(tmp_path, [])
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path / "home"))
    assert cli_runner().invoke(cli, ["validate", str(project)]).exit_code == ExitCode.OK
    assert cli_runner().invoke(cli, ["up", "--detach", str(project)]).exit_code == ExitCode.DOCKER_UNAVAILABLE
