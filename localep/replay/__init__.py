"""Record exchanges with an endpoint and replay them later, checking the answers still match.

Typical use (what `localep replay` does):

    cases = load_cases(Path("traffic.jsonl"))
    results = replay(cases, "http://127.0.0.1:8080", headers={"Authorization": "Bearer KEY"}, concurrency=4)
    report = build_report(results, rtol=1e-6, ignore=["**.timestamp"])
    print(render_table(report), end="")
    raise SystemExit(report.exit_code)
"""

from localep.exchanges import (
    REDACTED,
    Exchange,
    ExchangeLog,
    ReplayFileError,
    Request,
    Response,
    decode_body,
    encode_body,
    read_exchanges,
    redact_headers,
    utc_timestamp,
)
from localep.replay.cases import ReplayCase, ReplayResult
from localep.replay.compare import Difference, InvalidIgnorePath, body_kind, compare, parse_ignore
from localep.replay.report import (
    CaseOutcome,
    LatencySummary,
    ReplayReport,
    build_report,
    json_report,
    junit_xml,
    percentile,
    render_table,
    write_json,
    write_junit,
)
from localep.replay.runner import TokenBucket, replay
from localep.replay.sources import (
    SCORING_PATH,
    load_cases,
    load_folder,
    load_recording,
    load_request_file,
    update_expectations,
)

__all__ = [
    "REDACTED",
    "SCORING_PATH",
    "CaseOutcome",
    "Difference",
    "Exchange",
    "ExchangeLog",
    "InvalidIgnorePath",
    "LatencySummary",
    "ReplayCase",
    "ReplayFileError",
    "ReplayReport",
    "ReplayResult",
    "Request",
    "Response",
    "TokenBucket",
    "body_kind",
    "build_report",
    "compare",
    "decode_body",
    "encode_body",
    "json_report",
    "junit_xml",
    "load_cases",
    "load_folder",
    "load_recording",
    "load_request_file",
    "parse_ignore",
    "percentile",
    "read_exchanges",
    "redact_headers",
    "render_table",
    "replay",
    "update_expectations",
    "utc_timestamp",
    "write_json",
    "write_junit",
]
