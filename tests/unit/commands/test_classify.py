"""`localep classify --json`: the kinds the VS Code extension reads instead of restating the loader's rules."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from localep.cli import cli

FILES = {
    "whatever.yml": "$schema: x\n# a comment\nname: blue\nendpoint_name: ep\n",
    "batch.yml": "name: b\nendpoint_name: e\ntype: model\ncompute: azureml:cpu\n",
    "flat-batch.yml": "name: b\nendpoint_name: e\noutput_action: summary_only\n",
    "keys.yml": "name: e\nauth_mode: key\n",
    "endpoint.yml": "name: e\n",
    "plain.yml": "name: e\n",
    "batch-endpoint.yml": "name: e\ndefaults:\n  deployment_name: b\n",
    "conda.yml": "name: env\ndependencies:\n  - python=3.10\n",
    "broken.yml": "name: [\n",
    "list.yml": "- a\n- b\n",
}


def classify(tmp_path: Path, *names: str) -> dict:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    result = CliRunner().invoke(cli, ["classify", *(str(tmp_path / name) for name in names), "--json"])
    assert result.exit_code == 0, result.output
    return {Path(row["file"]).name: row for row in json.loads(result.stdout)}


def test_kinds_come_from_the_content_and_endpoint_files_need_a_telling_key_or_name(tmp_path):
    rows = classify(tmp_path, *FILES)
    assert {name: row["kind"] for name, row in rows.items()} == {
        "whatever.yml": "online-deployment",
        "batch.yml": "batch-deployment",
        "flat-batch.yml": "batch-deployment",
        "keys.yml": "online-endpoint",
        "endpoint.yml": "online-endpoint",
        "plain.yml": None,
        "batch-endpoint.yml": "batch-endpoint",
        "conda.yml": None,
        "broken.yml": None,
        "list.yml": None,
    }


def test_name_and_its_line_are_where_the_code_lens_goes(tmp_path):
    row = classify(tmp_path, "whatever.yml")["whatever.yml"]
    assert (row["name"], row["line"], row["error"]) == ("blue", 3, None)


def test_unreadable_files_are_rows_with_the_reason_not_a_failure(tmp_path):
    rows = classify(tmp_path, "broken.yml", "missing.yml")
    assert rows["broken.yml"]["error"].startswith("invalid YAML")
    assert "No such file" in rows["missing.yml"]["error"]
    assert rows["missing.yml"]["kind"] is None
