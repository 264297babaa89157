from __future__ import annotations

import json
from typing import Any

import pytest

from localep.exchanges import Response
from localep.replay.compare import (
    BODY_BINARY,
    BODY_JSON,
    BODY_TEXT,
    InvalidIgnorePath,
    body_kind,
    compare,
    format_path,
    parse_ignore,
    path_matches,
)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(value).encode())


def diff(expected: Any, actual: Any, **options):
    return compare(json_response(expected), json_response(actual), **options)


def test_equal_json_has_no_differences_even_with_other_key_order():
    assert diff({"a": 1, "b": [1, {"c": None}]}, {"b": [1, {"c": None}], "a": 1}) == []


def test_status_is_compared_first_and_alone():
    differences = compare(json_response({"a": 1}, 200), json_response({"error": "boom"}, 424))
    assert [(d.path, d.expected, d.actual, d.reason) for d in differences] == [("status", 200, 424, "status differs")]


def test_numbers_within_tolerance_match_and_beyond_do_not():
    assert diff([100.0], [100.0001], rtol=1e-5) == []
    assert diff([100.0], [100.01], rtol=1e-5) != []
    assert diff([0.0], [1e-9], atol=1e-8) == []
    assert diff([0.0], [1e-7], atol=1e-8) != []
    # the tolerance is relative to the expected value: abs(a - b) <= atol + rtol * abs(expected)
    assert diff([1.0], [1.5], rtol=0.5) == []
    assert diff([1.0], [1.51], rtol=0.5) != []


def test_exact_numbers_by_default_and_int_equals_float():
    assert diff([1], [1.0]) == []
    assert diff({"n": 3}, {"n": 3.0000001})[0].path == "$.n"
    assert diff([1.0], [1], atol=0.1) == []


def test_booleans_are_not_numbers():
    (difference,) = diff({"ok": True}, {"ok": 1}, atol=1)
    assert difference.path == "$.ok"
    assert "expected boolean, got number" in difference.reason


def test_nan_equals_nan_only():
    nan_body = Response(200, {"Content-Type": "application/json"}, b"[NaN]")
    assert compare(nan_body, nan_body) == []
    assert compare(nan_body, json_response([1.0]), atol=1e9) != []


def test_type_mismatches_are_reported_with_both_types():
    reasons = {d.path: d.reason for d in diff({"a": [1], "b": "x", "c": None}, {"a": {"0": 1}, "b": 1, "c": 0})}
    assert reasons == {
        "$.a": "type differs: expected array, got object",
        "$.b": "type differs: expected string, got number",
        "$.c": "type differs: expected null, got number",
    }


def test_missing_and_unexpected_keys_at_depth():
    differences = diff({"outer": {"keep": 1, "gone": 2}}, {"outer": {"keep": 1, "new": 3}})
    assert {(d.path, d.reason) for d in differences} == {
        ("$.outer.gone", "missing key"),
        ("$.outer.new", "unexpected key"),
    }


def test_list_length_difference_is_reported_once():
    (difference,) = diff({"items": [1, 2, 3]}, {"items": [9, 8]})
    assert (difference.path, difference.expected, difference.actual) == ("$.items", 3, 2)
    assert "length" in difference.reason


def test_list_elements_are_compared_by_position():
    (difference,) = diff([{"score": 0.1}, {"score": 0.2}], [{"score": 0.1}, {"score": 0.3}])
    assert difference.path == "$[1].score"


@pytest.mark.parametrize(
    "pattern",
    ["$.id", "id", "**.id", "$..id"],
)
def test_ignore_top_level_key_in_several_spellings(pattern):
    assert diff({"id": "a", "v": 1}, {"id": "b", "v": 1}, ignore=[pattern]) == []


def test_ignore_wildcard_index_and_any_depth():
    expected = {"items": [{"ts": 1, "v": 1}, {"ts": 2, "v": 2}], "meta": {"deep": {"timestamp": "x"}}}
    actual = {"items": [{"ts": 5, "v": 1}, {"ts": 6, "v": 2}], "meta": {"deep": {"timestamp": "y"}}}
    assert diff(expected, actual, ignore=["items[*].ts", "**.timestamp"]) == []
    remaining = diff(expected, actual, ignore=["items[*].ts"])
    assert [d.path for d in remaining] == ["$.meta.deep.timestamp"]


def test_ignored_keys_may_be_missing_or_extra():
    assert diff({"id": 1, "v": 1}, {"v": 1, "request_id": 2}, ignore=["id", "request_id"]) == []


def test_ignore_does_not_hide_other_fields():
    (difference,) = diff({"id": 1, "v": 1}, {"id": 2, "v": 2}, ignore=["$.id"])
    assert difference.path == "$.v"


def test_quoted_keys_and_odd_paths():
    assert parse_ignore('$["a.b"]') == parse_ignore("$['a.b']")
    assert path_matches(parse_ignore('$["a.b"].c'), ("a.b", "c"))
    assert format_path(("a.b", 0, "c")) == '$["a.b"][0].c'
    assert format_path(()) == "$"


@pytest.mark.parametrize("pattern", ["", "a.", "a..", "$id", "a.[0]", "a]", "items[x]"])
def test_invalid_ignore_paths_are_usage_errors(pattern):
    with pytest.raises(InvalidIgnorePath):
        parse_ignore(pattern)


def test_any_index_does_not_match_object_keys():
    assert path_matches(parse_ignore("items[*]"), ("items", 2))
    assert not path_matches(parse_ignore("items[*]"), ("items", "2"))
    assert path_matches(parse_ignore("items.*"), ("items", "2"))


def test_text_is_exact_and_names_the_first_difference():
    expected = Response(200, {"Content-Type": "text/plain"}, b"line one\nline two")
    actual = Response(200, {"Content-Type": "text/plain"}, b"line one\nline tw0")
    (difference,) = compare(expected, actual)
    assert difference.reason == "text differs at offset 16 (line 2, column 8)"
    assert difference.expected.endswith("line two") and difference.actual.endswith("line tw0")


def test_text_prefix_difference_points_at_the_end_of_the_shorter():
    expected = Response(200, {"Content-Type": "text/plain"}, b"abc")
    (difference,) = compare(expected, Response(200, {"Content-Type": "text/plain"}, b"abcdef"))
    assert "offset 3 " in difference.reason


def test_text_plain_is_not_parsed_as_json():
    expected = Response(200, {"Content-Type": "text/plain"}, b"1.0")
    assert compare(expected, Response(200, {"Content-Type": "text/plain"}, b"1.00"), atol=1) != []


def test_binary_is_compared_by_sha256():
    png = Response(200, {"Content-Type": "image/png"}, b"\x89PNG\x00\x01")
    assert compare(png, Response(200, {"Content-Type": "image/png"}, b"\x89PNG\x00\x01")) == []
    (difference,) = compare(png, Response(200, {"Content-Type": "image/png"}, b"\x89PNG\x00\x02"))
    assert difference.reason == "binary body differs"
    assert difference.expected.startswith("sha256:") and "(6 bytes)" in difference.expected


def test_json_expected_but_not_json_received():
    (difference,) = compare(json_response({"a": 1}), Response(200, {"Content-Type": "text/html"}, b"<html>"))
    assert difference.reason == "body is not JSON"


def test_json_is_compared_structurally_whatever_the_actual_content_type():
    assert compare(json_response({"a": 1}), Response(200, {"Content-Type": "text/plain"}, b'{"a": 1.0}')) == []


def test_body_kinds():
    assert body_kind(json_response([1])) == BODY_JSON
    assert body_kind(Response(200, {}, b'{"a": 1}')) == BODY_JSON
    assert body_kind(Response(200, {}, b"plain words")) == BODY_TEXT
    assert body_kind(Response(200, {"Content-Type": "application/json"}, b"{broken")) == BODY_TEXT
    assert body_kind(Response(200, {}, b"\xff\xfe")) == BODY_BINARY
    assert body_kind(Response(200, {"Content-Type": "application/octet-stream"}, b"abc")) == BODY_BINARY


def test_headers_compared_only_when_named():
    expected = Response(200, {"Content-Type": "application/json", "X-Model": "v1"}, b"{}")
    actual = Response(200, {"content-type": "application/json", "x-model": "v2"}, b"{}")
    assert compare(expected, actual) == []
    (difference,) = compare(expected, actual, headers=["X-Model"])
    assert (difference.path, difference.expected, difference.actual) == ("headers.X-Model", "v1", "v2")
