"""--query then -o, with azure-cli's rules for json, tsv, table, yaml and none."""

from __future__ import annotations

import json

import pytest
import yaml

from localep.az.errors import AzError, AzExit
from localep.az.output import RawText, render

ENDPOINT = {
    "name": "my-ep",
    "provisioning_state": "Succeeded",
    "scoring_uri": "http://127.0.0.1:5000/score",
    "traffic": {"blue": 90, "green": 10},
    "tags": {},
    "id": "/subscriptions/x/onlineEndpoints/my-ep",
    "auth_mode": "key",
    "description": None,
    "kind": "Managed",
}


def test_json_is_sorted_and_indented_like_az():
    text = render(ENDPOINT, "json")
    assert text.endswith("}\n")
    assert json.loads(text) == ENDPOINT
    assert text.index('"auth_mode"') < text.index('"name"') < text.index('"traffic"')
    assert '\n  "kind": "Managed",\n' in text


def test_query_then_tsv_prints_the_bare_value():
    assert render(ENDPOINT, "tsv", "provisioning_state") == "Succeeded\n"
    assert render(ENDPOINT, "tsv", "scoring_uri") == "http://127.0.0.1:5000/score\n"


def test_query_of_a_missing_field_prints_nothing():
    assert render(ENDPOINT, "tsv", "no_such_field") == ""
    assert render(ENDPOINT, "json", "no_such_field") == ""


def test_query_result_as_json():
    assert json.loads(render(ENDPOINT, "json", "traffic")) == {"blue": 90, "green": 10}
    assert render("[58.0, 41.75]", "json") == '"[58.0, 41.75]"\n'


def test_tsv_rows_follow_key_order_and_query_order():
    assert render(ENDPOINT, "tsv", "traffic") == "90\t10\n"
    assert render(ENDPOINT, "tsv", "{s: scoring_uri, n: name}") == "http://127.0.0.1:5000/score\tmy-ep\n"
    rows = [{"name": "a", "version": "1"}, {"name": "b", "version": "2"}]
    assert render(rows, "tsv") == "a\t1\nb\t2\n"
    assert render(rows, "tsv", "[].version") == "1\n2\n"


def test_tsv_nested_values_keep_columns_aligned():
    # a mapping prints empty and a list its length, None as "None": az's (knack's) rules
    assert render({"a": {"x": 1}, "b": [1, 2, 3], "c": None, "d": True}, "tsv") == "\t3\tNone\tTrue\n"
    assert render(True, "tsv") == "true\n"


def test_table_shows_scalar_fields_without_id_and_type():
    text = render([ENDPOINT], "table")
    header, rule, row = text.splitlines()
    assert header.split() == ["Auth_mode", "Kind", "Name", "Provisioning_state", "Scoring_uri"]
    assert set(rule.replace("  ", " ").split()) <= {"-" * n for n in range(1, 60)}
    assert row.split() == ["key", "Managed", "my-ep", "Succeeded", "http://127.0.0.1:5000/score"]


def test_table_keeps_query_order():
    text = render([ENDPOINT], "table", "[].{Uri: scoring_uri, Endpoint: name}")
    assert text.splitlines()[0].split() == ["Uri", "Endpoint"]


def test_yaml_and_none():
    assert yaml.safe_load(render(ENDPOINT, "yaml")) == ENDPOINT
    assert render(ENDPOINT, "none") == ""


def test_raw_text_is_printed_as_is():
    assert render(RawText("line 1\nline 2"), "json") == "line 1\nline 2\n"
    assert render(RawText("x"), "none") == ""


def test_invalid_query_is_a_usage_error():
    with pytest.raises(AzError) as caught:
        render(ENDPOINT, "json", "traffic[")
    assert caught.value.exit_code == AzExit.USAGE
    assert "--query" in caught.value.message


def test_jmespath_functions_work():
    rows = [{"name": "a", "provisioning_state": "Failed"}, {"name": "b", "provisioning_state": "Succeeded"}]
    assert render(rows, "tsv", "[?provisioning_state=='Succeeded'].name") == "b\n"
    assert render(rows, "tsv", "length(@)") == "2\n"
