from __future__ import annotations

import json
from pathlib import Path

import pytest

from localep.devloop.launchjson import (
    attach_configuration,
    merge_configuration,
    write_attach_configuration,
)
from localep.errors import LocalepError

SOURCE = Path("/ws/.vscode/launch.json")


def config(port: int = 5678, deployment: str = "blue") -> dict:
    return attach_configuration(
        "my-ep", deployment, port, Path("/ws/src"), "/var/azureml-app/src", Path("/ws"), just_my_code=False
    )


ENTRY_AT_8 = """{
            "name": "localep: attach my-ep/blue",
            "type": "debugpy",
            "request": "attach",
            "connect": {
                "host": "127.0.0.1",
                "port": 5678
            },
            "pathMappings": [
                {
                    "localRoot": "${workspaceFolder}/src",
                    "remoteRoot": "/var/azureml-app/src"
                }
            ],
            "subProcess": true,
            "justMyCode": false
        }"""


def test_attach_configuration_has_the_debugpy_attach_shape():
    assert config() == {
        "name": "localep: attach my-ep/blue",
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": "127.0.0.1", "port": 5678},
        "pathMappings": [{"localRoot": "${workspaceFolder}/src", "remoteRoot": "/var/azureml-app/src"}],
        "subProcess": True,
        "justMyCode": False,
    }


def test_local_root_is_the_workspace_folder_itself(tmp_path):
    entry = attach_configuration("e", "d", 1, tmp_path, "/var/azureml-app/x", tmp_path, True)
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}"
    assert entry["justMyCode"] is True


def test_local_root_outside_the_workspace_stays_absolute(tmp_path):
    code = tmp_path / "elsewhere" / "src"
    entry = attach_configuration("e", "d", 1, code, "/var/azureml-app/src", tmp_path / "ws", False)
    assert entry["pathMappings"][0]["localRoot"] == str(code.resolve())


def test_local_root_nested_in_the_workspace_is_relative(tmp_path):
    entry = attach_configuration("e", "d", 1, tmp_path / "a" / "b", "/r", tmp_path, False)
    assert entry["pathMappings"][0]["localRoot"] == "${workspaceFolder}/a/b"


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n"])
def test_empty_file_gets_a_fresh_document(text):
    merged = merge_configuration(text, config(), SOURCE)
    assert json.loads(merged) == {"version": "0.2.0", "configurations": [config()]}
    assert merged == '{\n    "version": "0.2.0",\n    "configurations": [\n        ' + ENTRY_AT_8 + "\n    ]\n}\n"


def test_file_with_only_a_comment_keeps_it_above_the_fresh_document():
    merged = merge_configuration("// launch configs go here\n", config(), SOURCE)
    assert merged.startswith("// launch configs go here\n{\n")
    assert json.loads(merged.split("\n", 1)[1])["configurations"] == [config()]


def test_missing_configurations_key_is_added_after_the_last_member():
    text = '{\n  // keep me\n  "version": "0.2.0"\n}\n'
    merged = merge_configuration(text, config(), SOURCE)
    assert merged.startswith('{\n  // keep me\n  "version": "0.2.0",\n  "configurations": [\n    {\n')
    assert merged.endswith("\n    }\n  ]\n}\n")
    assert json.loads(merged.replace("// keep me", "")) == {"version": "0.2.0", "configurations": [config()]}


def test_empty_object_gets_a_configurations_member():
    merged = merge_configuration("{}", config(), SOURCE)
    assert json.loads(merged) == {"configurations": [config()]}


def test_existing_configurations_and_comments_inside_the_array_are_kept_byte_for_byte():
    before = (
        "{\n"
        "    // Use IntelliSense to learn about possible attributes.\n"
        '    "version": "0.2.0",\n'
        '    "configurations": [\n'
        "        /* the app */\n"
        '        {"name": "Run app", "type": "debugpy", "request": "launch", "program": "app.py"}, // mine\n'
        '        {"name": "Tests", "url": "http://127.0.0.1/x", "args": ["a,b", "]"]} // last, no comma\n'
        "        // {\"name\": \"disabled\"}\n"
    )
    after = "    ],\n}\n"
    merged = merge_configuration(before + after, config(), SOURCE)
    expected = (
        before.replace('["a,b", "]"]} // last', '["a,b", "]"]}, // last')
        + "        "
        + ENTRY_AT_8
        + "\n"
        + after
    )
    assert merged == expected


def test_trailing_comma_after_the_last_configuration_is_reused():
    text = '{\n    "configurations": [\n        {"name": "a"},\n    ],\n}'
    merged = merge_configuration(text, config(), SOURCE)
    assert merged == '{\n    "configurations": [\n        {"name": "a"},\n        ' + ENTRY_AT_8 + "\n    ],\n}"


def test_empty_array_on_one_line_is_opened_up():
    merged = merge_configuration('{\n    "configurations": []\n}\n', config(), SOURCE)
    assert merged == '{\n    "configurations": [\n        ' + ENTRY_AT_8 + "\n    ]\n}\n"


def test_compounds_are_left_alone_and_can_follow_the_new_configurations():
    compounds = '"compounds": [{"name": "both", "configurations": ["localep: attach my-ep/blue", "Run app"]}]'
    text = '{\n    "version": "0.2.0",\n    ' + compounds + "\n}\n"
    merged = merge_configuration(text, config(), SOURCE)
    assert ("    " + compounds + ",\n") in merged
    parsed = json.loads(merged)
    assert parsed["configurations"] == [config()]
    assert parsed["compounds"][0]["configurations"][0] == config()["name"]


def test_managed_entry_is_replaced_in_place_and_nothing_else_moves():
    head = '{\n    "configurations": [\n        {"name": "first"},\n        '
    tail = ',\n        {"name": "localep: attach my-ep/green"} /* other deployment */\n    ]\n}\n'
    stale = '{"name": "localep: attach my-ep/blue", "type": "debugpy", "connect": {"port": 1}}'
    merged = merge_configuration(head + stale + tail, config(), SOURCE)
    assert merged == head + ENTRY_AT_8 + tail


def test_merge_is_idempotent():
    text = '{\n\t// tabs file\n\t"configurations": [\n\t\t{"name": "x"}\n\t]\n}\n'
    once = merge_configuration(text, config(), SOURCE)
    assert merge_configuration(once, config(), SOURCE) == once
    assert "\n\t\t{\n\t\t\t\"name\": \"localep: attach my-ep/blue\"," in once


def test_changing_the_port_changes_only_that_line():
    once = merge_configuration('{\n  "configurations": [\n    {"name": "mine"}\n  ]\n}\n', config(5678), SOURCE)
    twice = merge_configuration(once, config(6000), SOURCE)
    changed = [(a, b) for a, b in zip(once.splitlines(), twice.splitlines()) if a != b]
    assert changed == [('        "port": 5678', '        "port": 6000')]
    assert len(once.splitlines()) == len(twice.splitlines())


def test_second_deployment_is_added_beside_the_first():
    once = merge_configuration("", config(deployment="blue"), SOURCE)
    both = merge_configuration(once, config(deployment="green"), SOURCE)
    names = [entry["name"] for entry in json.loads(both)["configurations"]]
    assert names == ["localep: attach my-ep/blue", "localep: attach my-ep/green"]
    assert both.startswith(once[: once.rindex("}\n    ]")])


def test_crlf_files_stay_crlf():
    text = '{\r\n    "configurations": [\r\n    ]\r\n}\r\n'
    merged = merge_configuration(text, config(), SOURCE)
    assert "\n" not in merged.replace("\r\n", "")
    assert merge_configuration(merged, config(), SOURCE) == merged


def test_comment_markers_inside_strings_and_brackets_inside_comments_are_not_structure():
    text = '{\n    /* "configurations": [ */\n    "note": "a // b /* c",\n    "configurations": [\n    ]\n}\n'
    merged = merge_configuration(text, config(), SOURCE)
    assert merged.startswith('{\n    /* "configurations": [ */\n    "note": "a // b /* c",\n')
    assert json.loads(merged.replace('/* "configurations": [ */', ""))["configurations"] == [config()]


def test_escaped_quotes_in_names_are_compared_decoded():
    text = '{"configurations": [{"name": "say \\"hi\\"", "x": 1}]}'
    entry = dict(config(), name='say "hi"')
    merged = merge_configuration(text, entry, SOURCE)
    assert json.loads(merged)["configurations"] == [entry]


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ('{\n    "configurations": [\n        {"name": "a}\n    ]\n}', 3, "unterminated string"),
        ('{\n    /* never closed\n    "version": "0.2.0"\n}', 2, "unterminated /* comment"),
        ('{\n    "version": "0.2.0"\n    "configurations": []\n}', 3, "expected \",\" or \"}\""),
        ('{\n    "configurations": [\n        {"name": "a"}\n', 4, "unexpected end of file"),
        ('{\n    "version": 0.2.0\n}', 2, "unexpected '0.2.0'"),
        ('{\n\n    "configurations": {}\n}', 3, '"configurations" must be an array'),
        ('// header\n[]', 2, "one object at the top level"),
        ('{\n    "a": "\\q"\n}', 2, "invalid string"),
        ('{}\n{}', 2, "expected end of file"),
    ],
)
def test_invalid_jsonc_names_the_file_and_line(text, line, fragment):
    with pytest.raises(LocalepError) as raised:
        merge_configuration(text, config(), SOURCE)
    assert raised.value.location.file == SOURCE
    assert raised.value.location.line == line
    assert str(raised.value).startswith(f"{SOURCE}:{line}: invalid launch.json: ")
    assert fragment in str(raised.value)


def test_write_creates_the_file_and_is_stable(tmp_path):
    entry = attach_configuration("ep", "blue", 5678, tmp_path / "src", "/var/azureml-app/src", tmp_path, False)
    path = write_attach_configuration(tmp_path, entry)
    assert path == tmp_path / ".vscode" / "launch.json"
    first = path.read_bytes()
    assert json.loads(first) == {"version": "0.2.0", "configurations": [entry]}
    write_attach_configuration(tmp_path, entry)
    assert path.read_bytes() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["launch.json"]


def test_write_merges_into_an_existing_file(tmp_path):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text('{\n    // mine\n    "configurations": [{"name": "mine"}]\n}\n', encoding="utf-8")
    write_attach_configuration(tmp_path, config())
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n    // mine\n    "configurations": [{"name": "mine"},\n')
    assert json.loads(text.replace("// mine", ""))["configurations"][1] == config()


def test_write_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_bytes(b'{\r\n    "configurations": []\r\n}\r\n')
    write_attach_configuration(tmp_path, config())
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 3


def test_write_refuses_to_touch_an_invalid_file(tmp_path):
    path = tmp_path / ".vscode" / "launch.json"
    path.parent.mkdir()
    path.write_text('{\n  "configurations": [\n', encoding="utf-8")
    with pytest.raises(LocalepError) as raised:
        write_attach_configuration(tmp_path, config())
    assert raised.value.location.file == path
    assert path.read_text(encoding="utf-8") == '{\n  "configurations": [\n'
