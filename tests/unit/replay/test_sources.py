from __future__ import annotations

import json
from pathlib import Path

import pytest

from localep.exchanges import Exchange, ExchangeLog, ReplayFileError, Response, read_exchanges
from localep.replay.cases import ReplayResult
from localep.replay.compare import compare
from localep.replay.sources import (
    expected_document,
    load_cases,
    response_from_expected,
    update_expectations,
)


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    write_json(folder / "a.json", {"data": [[1, 2]]})
    write_json(folder / "a.expected.json", {"status": 200, "body": [3.0]})
    write_json(folder / "b.json", {"data": [[3, 4]]})
    write_json(folder / "b.expected.json", {"predictions": [7.0]})  # bare body: status 200 implied
    (folder / "c.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (folder / ".hidden.json").write_text("{}", encoding="utf-8")
    return folder


def test_folder_cases_post_each_request_file_with_its_expectation(samples: Path):
    cases = load_cases(samples)
    assert [case.name for case in cases] == ["a.json", "b.json", "c.csv"]
    a, b, c = cases
    assert (a.request.method, a.request.path) == ("POST", "/score")
    assert a.request.headers == {"Content-Type": "application/json"}
    assert json.loads(a.request.body) == {"data": [[1, 2]]}
    assert a.expected is not None and a.expected.status == 200 and json.loads(a.expected.body) == [3.0]
    assert b.expected is not None and json.loads(b.expected.body) == {"predictions": [7.0]}
    assert c.request.headers["Content-Type"] == "text/csv"
    assert c.expected is None and c.expected_file == samples / "c.expected.json"


def test_request_path_is_configurable_for_full_scoring_urls(samples: Path):
    assert {case.request.path for case in load_cases(samples, request_path="")} == {""}


def test_single_request_file_uses_the_expected_file_beside_it(samples: Path):
    (case,) = load_cases(samples / "a.json")
    assert case.name == "a.json" and case.expected is not None


def test_full_form_needs_integer_status_and_exactly_one_body_key():
    assert response_from_expected({"status": 404, "body": {"error": "x"}}).status == 404
    text = response_from_expected({"status": 200, "text": "hello"})
    assert text.body == b"hello" and text.content_type.startswith("text/plain")
    assert response_from_expected({"status": 200, "base64": "AAE="}).body == b"\x00\x01"
    # anything else is a bare JSON body with status 200
    for document in ({"status": "ok", "body": 1}, {"status": 200}, {"status": 200, "body": 1, "x": 2}, [1, 2]):
        response = response_from_expected(document)
        assert response.status == 200 and json.loads(response.body) == document


def test_expected_document_round_trips_every_body_kind():
    for response in (
        Response(201, {"Content-Type": "application/json"}, b'{"a": [1, 2.5]}'),
        Response(200, {"Content-Type": "text/plain"}, b"just text"),
        Response(200, {"Content-Type": "image/png"}, b"\x89PNG\xff"),
    ):
        again = response_from_expected(json.loads(json.dumps(expected_document(response))))
        assert again.status == response.status
        assert compare(response, again) == []


def test_malformed_expected_file_names_file_and_line(samples: Path):
    (samples / "a.expected.json").write_text('{\n  "status": 200,\n  "body": [1,\n}', encoding="utf-8")
    with pytest.raises(ReplayFileError) as caught:
        load_cases(samples)
    assert caught.value.location.file == samples / "a.expected.json"
    assert caught.value.location.line == 4


def test_request_files_sharing_an_expected_file_are_rejected(samples: Path):
    write_json(samples / "c.json", {})
    with pytest.raises(ReplayFileError, match=r"c\.csv and c\.json would share c\.expected\.json"):
        load_cases(samples)


def test_empty_folder_is_an_error(tmp_path: Path):
    with pytest.raises(ReplayFileError, match="no request files"):
        load_cases(tmp_path)


def result_for(case, response: Response, error=None) -> ReplayResult:
    return ReplayResult(case, response, latency_ms=5.0, error=error)


def test_update_writes_full_form_expected_files(samples: Path):
    a, b, c = load_cases(samples)
    written = update_expectations(
        [
            result_for(a, Response(200, {"Content-Type": "application/json"}, b'{"v": 1}')),
            result_for(b, Response(0), error="request failed: [Errno 111] Connection refused"),
            result_for(c, Response(200, {"Content-Type": "text/plain"}, b"ok")),
        ]
    )
    assert written == [samples / "a.expected.json", samples / "c.expected.json"]
    assert json.loads((samples / "a.expected.json").read_text()) == {"status": 200, "body": {"v": 1}}
    assert json.loads((samples / "b.expected.json").read_text()) == {"predictions": [7.0]}  # left alone
    assert json.loads((samples / "c.expected.json").read_text()) == {"status": 200, "text": "ok"}
    reloaded = {case.name: case for case in load_cases(samples)}
    assert reloaded["c.csv"].expected is not None and reloaded["c.csv"].expected.body == b"ok"
    assert not [p for p in samples.iterdir() if p.name.startswith(".a.") or p.name.startswith(".c.")]


def recorded(path: str, body: bytes) -> Exchange:
    return Exchange(
        "2024-05-01T12:00:00.000Z", "POST", path, {"Authorization": "Bearer k"}, b"{}",
        200, {"Content-Type": "application/json"}, body, 3.0, "blue",
    )


def test_recording_cases_and_update_rewrite_only_the_replayed_lines(tmp_path: Path):
    path = tmp_path / "traffic.jsonl"
    log = ExchangeLog(path)
    log.append(recorded("/score", b'{"v": 1}'))
    log.append_line("\n")
    log.append(recorded("/score?x=2", b'{"v": 2}'))
    cases = load_cases(path)
    assert [case.name for case in cases] == ["traffic.jsonl:1", "traffic.jsonl:3"]
    assert cases[1].request.path == "/score?x=2"
    assert cases[1].source.line == 3
    fresh = Response(200, {"Content-Type": "application/json", "azureml-model-deployment": "green"}, b'{"v": 20}')
    assert update_expectations([result_for(cases[1], fresh)]) == [path]
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and lines[1] == ""
    first, second = read_exchanges(path)
    assert first.response_body == b'{"v": 1}' and first.deployment == "blue"
    assert second.response_body == b'{"v": 20}' and second.deployment == "green"
    assert second.path == "/score?x=2" and second.request_headers == {"Authorization": "<redacted>"}


def test_empty_recording_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ReplayFileError, match="no exchanges"):
        load_cases(path)
