from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Optional

import pytest

from localep.errors import Location
from localep.exchanges import Request, Response
from localep.exitcodes import ExitCode
from localep.percentile import percentile
from localep.replay.cases import ReplayCase, ReplayResult
from localep.replay.compare import InvalidIgnorePath
from localep.replay.report import (
    build_report,
    json_report,
    junit_xml,
    render_table,
    summarize_latency,
    write_json,
    write_junit,
)


def json_response(value, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(value).encode())


def result(
    name: str,
    expected: Optional[Response],
    actual: Response,
    latency_ms: float = 10.0,
    error: Optional[str] = None,
) -> ReplayResult:
    case = ReplayCase(name, Request("POST", "/score", {}, b"{}"), expected, Location(Path("samples") / name))
    return ReplayResult(case, actual, latency_ms, error)


@pytest.fixture
def mixed_results():
    return [
        result("same.json", json_response({"v": 1}), json_response({"v": 1}), 10.0),
        result("drift.json", json_response({"v": 1.0, "id": "a"}), json_response({"v": 2.0, "id": "b"}), 20.0),
        result("down.json", json_response({"v": 1}), Response(0), 1.0, error="request failed: [Errno 111] refused"),
        result("new.json", None, json_response({"v": 3}), 30.0),
        result("broken.json", None, json_response({"error": "x"}, 424), 40.0),
    ]


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0  # rank ceil(0.5 * 4) = 2 -> second smallest
    assert percentile([4.0, 1.0, 3.0, 2.0], 99) == 4.0
    assert percentile([7.0], 50) == 7.0
    assert percentile([], 50) is None


def test_latency_summary_ignores_requests_without_response(mixed_results):
    latency = build_report(mixed_results).latency
    assert latency.count == 4
    assert (latency.p50, latency.p99, latency.max) == (20.0, 40.0, 40.0)
    assert summarize_latency([]).p50 is None


def test_outcomes_counts_and_exit_code(mixed_results):
    report = build_report(mixed_results, ignore=["id"])
    assert [case.passed for case in report.cases] == [True, False, False, True, False]
    assert (report.passed, report.failed, report.unchecked) == (2, 3, 2)
    assert report.summary_line == "2 passed, 3 failed"
    assert report.exit_code == ExitCode.MISMATCH
    assert [d.path for d in report.cases[1].differences] == ["$.v"]
    assert report.cases[2].differences[0].reason.startswith("request failed")
    assert report.cases[4].differences[0].reason == "status is not 2xx"


def test_tolerance_turns_a_failure_into_a_pass(mixed_results):
    report = build_report(mixed_results[:2], atol=1.0, ignore=["$.id"])
    assert report.failed == 0 and report.exit_code == ExitCode.OK


def test_invalid_ignore_path_fails_before_judging(mixed_results):
    with pytest.raises(InvalidIgnorePath):
        build_report(mixed_results, ignore=["a..b."])


def test_table_lists_mismatches_and_ends_with_the_summary(mixed_results):
    text = render_table(build_report(mixed_results))
    lines = text.rstrip("\n").splitlines()
    assert lines[0].split() == ["CASE", "PATH", "REASON", "EXPECTED", "ACTUAL"]
    assert any(line.startswith("drift.json") and "$.id" in line for line in lines)
    assert lines[-1] == "2 passed, 3 failed"
    assert any(line.startswith("latency ms: p50 20.0  p95 40.0  p99 40.0") for line in lines)


def test_table_truncates_long_values():
    long_text = "x" * 500
    report = build_report([result("long.json", json_response({"t": long_text}), json_response({"t": "y"}))])
    row = render_table(report, value_width=20).splitlines()[1]
    assert '"xxxxxxxxxxxxxxxxxx…' in row and long_text not in row


def test_all_passing_table_has_no_header():
    text = render_table(build_report([result("same.json", json_response(1), json_response(1))]))
    assert "CASE" not in text and text.endswith("1 passed, 0 failed\n")


def test_junit_xml_counts_failures_and_errors(mixed_results, tmp_path: Path):
    path = tmp_path / "junit.xml"
    write_junit(build_report(mixed_results), path)
    root = ElementTree.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "1")
    testcases = suite.findall("testcase")
    assert [tc.get("name") for tc in testcases] == ["same.json", "drift.json", "down.json", "new.json", "broken.json"]
    assert testcases[0].find("failure") is None
    drift = testcases[1].find("failure")
    assert drift is not None and "$.v" in (drift.text or "") and drift.get("message") == "number differs"
    down = testcases[2].find("error")
    assert down is not None and "refused" in (down.get("message") or "")
    assert testcases[1].get("time") == "0.020"


def test_junit_escapes_awkward_text():
    report = build_report([result("x.json", json_response({"t": "<&>\"'"}), json_response({"t": "]]>"}))])
    root = ElementTree.fromstring(junit_xml(report))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "]]>" in (failure.text or "")


def test_json_report_has_summary_latency_and_cases(mixed_results, tmp_path: Path):
    path = tmp_path / "report.json"
    write_json(build_report(mixed_results), path)
    data = json.loads(path.read_text())
    assert data["summary"] == {"total": 5, "passed": 2, "failed": 3, "unchecked": 2}
    assert data["latency_ms"]["p50"] == 20.0 and data["latency_ms"]["count"] == 4
    drift = data["cases"][1]
    assert drift["name"] == "drift.json" and drift["passed"] is False
    assert {"path": "$.v", "reason": "number differs", "expected": 1.0, "actual": 2.0} in drift["differences"]
    assert data["cases"][2]["status"] == 0 and data["cases"][2]["error"].startswith("request failed")
    assert json_report(build_report([]))["summary"]["total"] == 0
