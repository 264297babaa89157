"""Judge replay results and say what happened: a terminal table, JUnit XML for CI, JSON for scripts.

A case with an expectation passes when compare() finds no difference. A case without one (a request file
with no `.expected.json` yet) passes when the endpoint answers 2xx, so a folder of samples is a smoke test
before it has expectations. A request with no HTTP response always fails.

Latency percentiles use the nearest-rank method: pN is the smallest recorded latency such that at least
N% of latencies are <= it (sorted value at rank ceil(N/100 * count)). Always an observed value, never an
interpolation. Requests without an HTTP response are left out of the latency figures.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from localep.exitcodes import ExitCode
from localep.fileio import atomic_write
from localep.percentile import percentile
from localep.replay.cases import ReplayResult
from localep.replay.compare import Difference, compare, parse_ignore

VALUE_WIDTH = 40  # characters of an expected/actual value shown in the table
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50: Optional[float]
    p95: Optional[float]
    p99: Optional[float]
    max: Optional[float]


@dataclass(frozen=True)
class CaseOutcome:
    name: str
    source: str  # "file" or "file:line"
    method: str
    path: str
    expected_status: Optional[int]  # None when the case had no expectation
    status: int  # 0 when no HTTP response arrived
    latency_ms: float
    deployment: Optional[str]
    error: Optional[str]
    differences: List[Difference] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences

    @property
    def checked(self) -> bool:
        """False when only "answered 2xx" was checked because nothing was recorded for the case."""
        return self.expected_status is not None


@dataclass(frozen=True)
class ReplayReport:
    cases: List[CaseOutcome]
    latency: LatencySummary

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    @property
    def unchecked(self) -> int:
        return sum(1 for case in self.cases if not case.checked)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.MISMATCH if self.failed else ExitCode.OK

    @property
    def summary_line(self) -> str:
        """Plain "N passed, N failed": the closing line test harnesses and CI read."""
        return f"{self.passed} passed, {self.failed} failed"


def summarize_latency(latencies_ms: Sequence[float]) -> LatencySummary:
    return LatencySummary(
        count=len(latencies_ms),
        p50=percentile(latencies_ms, 50),
        p95=percentile(latencies_ms, 95),
        p99=percentile(latencies_ms, 99),
        max=max(latencies_ms) if latencies_ms else None,
    )


def judge(
    result: ReplayResult,
    rtol: float = 0.0,
    atol: float = 0.0,
    ignore: Sequence[str] = (),
    headers: Sequence[str] = (),
) -> CaseOutcome:
    case = result.case
    if result.error is not None:
        differences = [Difference("response", case.expected.status if case.expected else None, 0, result.error)]
    elif case.expected is None:
        status = result.response.status
        differences = [] if 200 <= status < 300 else [Difference("status", "2xx", status, "status is not 2xx")]
    else:
        differences = compare(case.expected, result.response, rtol, atol, ignore, headers)
    return CaseOutcome(
        name=case.name,
        source=str(case.source),
        method=case.request.method,
        path=case.request.path,
        expected_status=case.expected.status if case.expected else None,
        status=result.response.status,
        latency_ms=result.latency_ms,
        deployment=result.deployment,
        error=result.error,
        differences=differences,
    )


def build_report(
    results: Sequence[ReplayResult],
    rtol: float = 0.0,
    atol: float = 0.0,
    ignore: Sequence[str] = (),
    headers: Sequence[str] = (),
) -> ReplayReport:
    """Judge every result; bad `ignore` paths raise InvalidIgnorePath before any case is judged."""
    for pattern in ignore:
        parse_ignore(pattern)
    outcomes = [judge(result, rtol, atol, ignore, headers) for result in results]
    return ReplayReport(outcomes, summarize_latency([r.latency_ms for r in results if r.error is None]))


def render_table(report: ReplayReport, value_width: int = VALUE_WIDTH) -> str:
    """Mismatches as an aligned table, then latency, then the summary line (always last)."""
    rows = [
        (case.name, difference.path, difference.reason, _shorten(difference.expected, value_width),
         _shorten(difference.actual, value_width))
        for case in report.cases
        for difference in case.differences
    ]
    lines: List[str] = []
    if rows:
        header = ("CASE", "PATH", "REASON", "EXPECTED", "ACTUAL")
        widths = [max(len(row[column]) for row in [*rows, header]) for column in range(len(header))]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines.append("")
    lines.append(_latency_line(report.latency))
    if report.unchecked:
        lines.append(f"{report.unchecked} case(s) had no expected response: only a 2xx status was required")
    lines.append(report.summary_line)
    return "\n".join(lines) + "\n"


def json_report(report: ReplayReport) -> Dict[str, Any]:
    return {
        "summary": {
            "total": len(report.cases),
            "passed": report.passed,
            "failed": report.failed,
            "unchecked": report.unchecked,
        },
        "latency_ms": {
            "count": report.latency.count,
            "p50": report.latency.p50,
            "p95": report.latency.p95,
            "p99": report.latency.p99,
            "max": report.latency.max,
        },
        "cases": [
            {
                "name": case.name,
                "source": case.source,
                "method": case.method,
                "path": case.path,
                "passed": case.passed,
                "checked": case.checked,
                "expected_status": case.expected_status,
                "status": case.status,
                "latency_ms": round(case.latency_ms, 3),
                "deployment": case.deployment,
                "error": case.error,
                "differences": [
                    {"path": d.path, "reason": d.reason, "expected": d.expected, "actual": d.actual}
                    for d in case.differences
                ],
            }
            for case in report.cases
        ],
    }


def junit_xml(report: ReplayReport, suite_name: str = "localep.replay") -> str:
    """One testcase per request; mismatches are <failure>s, requests without a response <error>s."""
    errors = sum(1 for case in report.cases if case.error is not None)
    failures = report.failed - errors
    total_time = f"{sum(case.latency_ms for case in report.cases) / 1000.0:.3f}"
    counts = {"tests": str(len(report.cases)), "failures": str(failures), "errors": str(errors)}
    root = ElementTree.Element("testsuites", {"name": suite_name, **counts, "time": total_time})
    suite_attributes = {"name": suite_name, **counts, "skipped": "0", "time": total_time}
    suite = ElementTree.SubElement(root, "testsuite", suite_attributes)
    for case in report.cases:
        testcase = ElementTree.SubElement(
            suite,
            "testcase",
            {"classname": suite_name, "name": case.name, "time": f"{case.latency_ms / 1000.0:.3f}"},
        )
        if case.passed:
            continue
        tag, kind = ("error", "request-error") if case.error is not None else ("failure", "mismatch")
        problem = ElementTree.SubElement(testcase, tag, {"message": case.differences[0].reason, "type": kind})
        problem.text = "\n".join(
            f"{d.path}: {d.reason}\n  expected: {_shorten(d.expected, 500)}\n  actual:   {_shorten(d.actual, 500)}"
            for d in case.differences
        )
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(report: ReplayReport, path: Path, suite_name: str = "localep.replay") -> None:
    atomic_write(path, junit_xml(report, suite_name), private=True)


def write_json(report: ReplayReport, path: Path) -> None:
    atomic_write(path, json.dumps(json_report(report), indent=2) + "\n", private=True)


def _latency_line(latency: LatencySummary) -> str:
    if not latency.count:
        return "latency: no responses"
    figures = "  ".join(f"p{p} {getattr(latency, f'p{p}'):.1f}" for p in PERCENTILES)
    return f"latency ms: {figures}  max {latency.max:.1f}  (n={latency.count})"


def _shorten(value: Any, width: int) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"
