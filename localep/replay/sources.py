"""Where replay cases come from, and where `--update` writes the new expectations.

Three sources, chosen by `load_cases`:
- A recording (`*.jsonl` / `*.ndjson`, written by ExchangeLog): each exchange is a case; its recorded
  response is the expectation. `--update` rewrites the file with the new responses.
- A folder of request bodies: every file except hidden ones and `*.expected.json` is POSTed to the
  scoring route (`*.json` as application/json, other files by extension, octet-stream when unknown).
  `NAME.expected.json` beside `NAME.<ext>` holds the expected response. `--update` writes those files.
- A single az ml style request file (`--request-file sample.json`): the same, for one file.

An expected file is either the full response or just the JSON body:
    {"status": 200, "body": <any JSON>}     JSON body
    {"status": 200, "text": "..."}          text body
    {"status": 200, "base64": "..."}        binary body
    <any other JSON value>                  the JSON body, status 200 implied
An object counts as the full form only when it has an integer "status" and exactly one of
"body"/"text"/"base64" and nothing else; `--update` always writes the full form so the two never blur.
A case without an expected file has no expectation (see report.py for how such cases are judged).
"""

from __future__ import annotations

import base64
import json
import mimetypes
from pathlib import Path
from typing import Any, Dict, List, Sequence

from localep.errors import Location
from localep.exchanges import (
    Exchange,
    ReplayFileError,
    Request,
    Response,
    header_value,
    iter_exchanges,
    utc_timestamp,
)
from localep.fileio import atomic_write
from localep.jsonfile import read_json
from localep.protocol import DEPLOYMENT_HEADER, SCORING_PATH
from localep.replay.cases import ReplayCase, ReplayResult
from localep.replay.compare import BODY_BINARY, BODY_JSON, BODY_TEXT, body_kind

RECORDING_SUFFIXES = (".jsonl", ".ndjson")
EXPECTED_SUFFIX = ".expected.json"
_FULL_FORM_BODY_KEYS = ("body", "text", "base64")


def load_cases(source: Path, request_path: str = SCORING_PATH) -> List[ReplayCase]:
    """Cases from a recording, a folder of request files, or one request file, judged by what `source` is.

    `request_path` is where request files are sent, relative to the base URL ("" when the base URL already
    is the scoring URI); recordings keep the path they were recorded with.
    """
    source = Path(source)
    if source.is_dir():
        return load_folder(source, request_path)
    if source.suffix.lower() in RECORDING_SUFFIXES:
        return load_recording(source)
    return [load_request_file(source, request_path)]


def load_recording(path: Path) -> List[ReplayCase]:
    cases = [
        ReplayCase(
            name=f"{path.name}:{line}",
            request=exchange.request,
            expected=exchange.response,
            source=Location(path, line),
            exchange=exchange,
        )
        for line, exchange in iter_exchanges(path)
    ]
    if not cases:
        raise ReplayFileError("recording has no exchanges", Location(path))
    return cases


def load_folder(folder: Path, request_path: str = SCORING_PATH) -> List[ReplayCase]:
    request_files = [
        entry
        for entry in sorted(folder.iterdir())
        if entry.is_file() and not entry.name.startswith(".") and not entry.name.endswith(EXPECTED_SUFFIX)
    ]
    if not request_files:
        raise ReplayFileError("no request files in folder", Location(folder))
    owners: Dict[Path, Path] = {}
    for request_file in request_files:
        expected_file = expected_path_for(request_file)
        if expected_file in owners:
            raise ReplayFileError(
                f"{owners[expected_file].name} and {request_file.name} would share {expected_file.name}; "
                "rename one of them",
                Location(request_file),
            )
        owners[expected_file] = request_file
    return [load_request_file(request_file, request_path) for request_file in request_files]


def load_request_file(path: Path, request_path: str = SCORING_PATH) -> ReplayCase:
    try:
        body = path.read_bytes()
    except OSError as error:
        raise ReplayFileError(f"cannot read request file: {error.strerror}", Location(path)) from None
    expected_file = expected_path_for(path)
    return ReplayCase(
        name=path.name,
        request=Request("POST", request_path, {"Content-Type": content_type_for(path)}, body),
        expected=read_expected(expected_file) if expected_file.is_file() else None,
        source=Location(path),
        expected_file=expected_file,
    )


def expected_path_for(request_file: Path) -> Path:
    """`sample.json` -> `sample.expected.json`; `cat.png` -> `cat.expected.json`."""
    return request_file.with_name(request_file.stem + EXPECTED_SUFFIX)


def content_type_for(path: Path) -> str:
    if path.suffix.lower() == ".json":
        return "application/json"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def read_expected(path: Path) -> Response:
    document = read_json(path, ReplayFileError, "expected response")
    try:
        return response_from_expected(document)
    except ValueError as error:
        raise ReplayFileError(str(error), Location(path)) from None


def response_from_expected(document: Any) -> Response:
    """The Response an expected-file document describes (forms in the module docstring)."""
    if not _is_full_form(document):
        return _json_response(200, document)
    status = document["status"]
    if "body" in document:
        return _json_response(status, document["body"])
    if "text" in document:
        if not isinstance(document["text"], str):
            raise ValueError("'text' must be a string")
        return Response(status, {"Content-Type": "text/plain; charset=utf-8"}, document["text"].encode("utf-8"))
    try:
        data = base64.b64decode(document["base64"], validate=True)
    except (TypeError, ValueError):
        raise ValueError("'base64' must be a base64 string") from None
    return Response(status, {"Content-Type": "application/octet-stream"}, data)


def expected_document(response: Response) -> Dict[str, Any]:
    """The full-form expected-file document for `response`; inverse of response_from_expected."""
    kind = body_kind(response)
    if kind == BODY_JSON:
        return {"status": response.status, "body": json.loads(response.body.decode("utf-8"))}
    if kind == BODY_TEXT:
        return {"status": response.status, "text": response.body.decode("utf-8")}
    assert kind == BODY_BINARY
    return {"status": response.status, "base64": base64.b64encode(response.body).decode("ascii")}


def update_expectations(results: Sequence[ReplayResult]) -> List[Path]:
    """Make each result's response its case's new expectation; returns the files written.

    Results without an HTTP response (connection error, timeout) leave their expectation as it was.
    A recording must not be appended to while it is being rewritten.
    """
    written: List[Path] = []
    recordings: Dict[Path, Dict[int, Exchange]] = {}
    for result in results:
        if result.error is not None:
            continue
        case = result.case
        if case.exchange is not None:
            recordings.setdefault(case.source.file, {})[case.source.line or 0] = _re_recorded(
                case.exchange, result.response, result.latency_ms
            )
        elif case.expected_file is not None:
            text = json.dumps(expected_document(result.response), indent=2, ensure_ascii=False) + "\n"
            atomic_write(case.expected_file, text)
            written.append(case.expected_file)
    for path, replacements in recordings.items():
        _rewrite_recording(path, replacements)
        written.append(path)
    return written


def _is_full_form(document: Any) -> bool:
    if not isinstance(document, dict) or "status" not in document:
        return False
    status = document["status"]
    body_keys = [key for key in _FULL_FORM_BODY_KEYS if key in document]
    return (
        isinstance(status, int)
        and not isinstance(status, bool)
        and len(body_keys) == 1
        and set(document) == {"status", body_keys[0]}
    )


def _json_response(status: int, value: Any) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(value).encode("utf-8"))


def _re_recorded(exchange: Exchange, response: Response, latency_ms: float) -> Exchange:
    return Exchange(
        time=utc_timestamp(),
        method=exchange.method,
        path=exchange.path,
        request_headers=exchange.request_headers,
        request_body=exchange.request_body,
        status=response.status,
        response_headers=response.headers,
        response_body=response.body,
        latency_ms=latency_ms,
        deployment=header_value(response.headers, DEPLOYMENT_HEADER) or exchange.deployment,
    )


def _rewrite_recording(path: Path, replacements: Dict[int, Exchange]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rewritten = [
        replacements[number].to_json_line() if number in replacements else line
        for number, line in enumerate(lines, start=1)
    ]
    atomic_write(path, "".join(rewritten))
