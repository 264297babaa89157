from __future__ import annotations

import json

from click_runner import all_output, cli_runner
from localep.commands.validate import command
from localep.exitcodes import ExitCode


def run(*args: str):
    return cli_runner().invoke(command, list(args))


def test_clean_files_exit_zero(tree):
    result = run(str(tree / "managed"))
    assert result.exit_code == ExitCode.OK, all_output(result)
    assert "3 file(s) checked: 0 error(s), 0 warning(s)" in all_output(result)


def test_errors_print_file_line_message_and_exit_spec(tree):
    green = tree / "managed" / "green-deployment.yml"
    green.write_text(green.read_text() + "instance_cont: 2\n")
    result = run(str(green))
    assert result.exit_code == ExitCode.SPEC
    assert f"{green}:12: error: unknown field 'instance_cont'; did you mean 'instance_count'?" in all_output(result)


def test_warnings_alone_exit_zero(tree):
    batch = tree / "batch" / "deployment.yml"
    batch.write_text("name: scorer\nendpoint_name: e\nmini_batch_size: 2\nmodel: azureml:mnist:1\n")
    result = run(str(batch))
    assert result.exit_code == ExitCode.SPEC  # the azureml: model keeps it from running here
    (tree / "batch" / "score.py").write_text("def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n")
    batch.write_text("name: scorer\nendpoint_name: e\nmini_batch_size: 2\ncode_configuration:\n  code: .\n"
                     "  scoring_script: score.py\nenvironment:\n  image: python:3.11\n")
    result = run(str(batch))
    assert result.exit_code == ExitCode.OK, all_output(result)
    assert f"{batch}: warning: missing compute: the cloud requires it" in all_output(result)


def test_json_report_shape(tree):
    endpoint = tree / "managed" / "endpoint.yml"
    endpoint.write_text(endpoint.read_text().replace("blue: 90", "blue: 95"))
    result = cli_runner().invoke(command, ["--json", str(tree / "managed"), str(tree / "ci-missing")])
    assert result.exit_code == ExitCode.USAGE  # click rejects a path that does not exist before any work
    result = cli_runner().invoke(command, ["--json", str(tree / "managed")])
    assert result.exit_code == ExitCode.SPEC
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["errors"] == 1 and report["warnings"] == 0
    assert report["skipped"] == []
    assert len(report["checked"]) == 3
    assert report["diagnostics"] == [
        {"file": str(endpoint), "line": 4, "severity": "error", "message": "traffic adds up to 105%; it must be at most 100%"}
    ]


def test_skipped_files_are_noted_on_stderr(tmp_path):
    workflow = tmp_path / "ci.yml"
    workflow.write_text("on: push\n")
    result = run(str(workflow))
    assert result.exit_code == ExitCode.OK
    assert result.stdout == ""
    assert "skipped" in result.stderr and "not an Azure ML online endpoint or deployment" in result.stderr


def test_help_has_an_example():
    result = run("--help")
    assert result.exit_code == 0
    assert "Example:" in all_output(result) and "localep validate" in all_output(result) and "--json" in all_output(result)
