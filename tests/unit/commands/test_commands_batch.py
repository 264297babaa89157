"""`localep batch` failures that need no Docker: each has its exit code, a message naming what to fix, and no output."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from click_runner import all_output, cli_runner
from localep.commands.batch import command
from localep.dockerclient import docker_client
from localep.exitcodes import ExitCode

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "batch"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # no test here may reach an engine
    docker_client.cache_clear()
    target = tmp_path / "batch"
    shutil.copytree(FIXTURE, target)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("1,2,3\n")
    yield target
    docker_client.cache_clear()


def run(*args: str):
    return cli_runner().invoke(command, list(args))


def test_a_missing_input_is_a_usage_error(project, tmp_path):
    result = run("run", str(project / "deployment.yml"), "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o"))
    assert result.exit_code == ExitCode.USAGE
    assert "no such file or folder" in all_output(result) and not (tmp_path / "o").exists()


def test_spec_errors_name_the_line_and_the_override(project, tmp_path):
    result = run("run", str(project / "deployment.yml"), "--input", str(tmp_path / "data"),
                 "--set", "settings.retry_settings.timeout=soon")
    assert result.exit_code == ExitCode.SPEC
    assert ("deployment.yml:26: settings.retry_settings.timeout: expected an integer, got the string 'soon' "
            "(--set settings.retry_settings.timeout=soon)") in all_output(result)


def test_output_file_name_with_summary_only_is_refused_like_the_sdk(project, tmp_path):
    result = run("run", str(project / "deployment.yml"), "--input", str(tmp_path / "data"), "--set",
                 "settings.output_action=summary_only", "--output-file-name", "x.csv")
    assert result.exit_code == ExitCode.SPEC
    assert "the output_file_name need not to be specified" in all_output(result)


def test_docker_down_fails_before_any_output_is_written(project, tmp_path):
    result = run("run", str(project / "deployment.yml"), "--input", str(tmp_path / "data"), "--output", str(tmp_path / "o"))
    assert result.exit_code == ExitCode.DOCKER_UNAVAILABLE
    assert not (tmp_path / "o").exists()


def test_invoke_names_a_missing_default_deployment(project, tmp_path):
    (project / "endpoint.yml").write_text("name: batch-test\ndefaults:\n  deployment_name: gone\n")
    result = run("invoke", str(project / "endpoint.yml"), "--input", str(tmp_path / "data"))
    assert result.exit_code == ExitCode.SPEC
    assert "endpoint.yml:3: deployment 'gone' not found for endpoint batch-test" in all_output(result)
