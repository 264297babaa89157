"""Is this response the one we recorded? Status first, then the body by its kind: JSON, text or binary.

Rules:
- A status difference is the only difference reported: an error body has nothing to say about a 200 body.
- The expected response decides the body kind. JSON: its content type is JSON (or absent) and it parses;
  text: UTF-8 with a textual content type; binary: anything else.
- JSON is compared structurally: object keys (missing and unexpected ones), array lengths (a length
  difference is reported once, elements are not compared), value types, strings exactly and numbers with
  `abs(actual - expected) <= atol + rtol * abs(expected)`. Booleans are not numbers; 1 and 1.0 are equal.
  Two NaNs are equal, infinities equal themselves only.
- Text is compared exactly and the first differing character is reported; binary by SHA-256.
- Headers are compared only when named in `headers` (case-insensitive), by exact value.

Ignore paths name JSON nodes whose whole subtree is skipped (missing or extra included):
    $.id  or  id            the top-level key "id"
    $.items[0].score        key, index, key
    items[*].ts             "ts" in every element of "items"  ([*]: any array element)
    $.meta.*                every child of "meta"             (*: any key or element)
    **.timestamp            "timestamp" at any depth          ($..timestamp means the same)
    $["odd.key"]            a key containing dots or brackets
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from localep.errors import LocalepError
from localep.exchanges import Response, header_value, is_textual_content_type
from localep.exitcodes import ExitCode

PathSegment = Union[str, int]
JsonPath = Tuple[PathSegment, ...]

BODY_JSON = "json"
BODY_TEXT = "text"
BODY_BINARY = "binary"

TEXT_CONTEXT = 30  # characters shown either side of the first text difference


class InvalidIgnorePath(LocalepError):
    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Difference:
    path: str  # "status", "headers.<name>", "$" (whole body) or a JSON path such as "$.items[0].score"
    expected: Any
    actual: Any
    reason: str


@dataclass(frozen=True)
class PatternSegment:
    kind: str  # "key" | "index" | "any" (any child) | "any_index" | "deep" (zero or more segments)
    value: Optional[PathSegment] = None


IgnorePath = Tuple[PatternSegment, ...]

_TOKEN = re.compile(
    r"(?P<descend>\.\.)|(?P<dot>\.)"
    r"|\[(?P<index>\d+)\]|(?P<any_index>\[\*\])"
    r"|\[(?P<quote>['\"])(?P<quoted>.*?)(?P=quote)\]"
    r"|(?P<word>[^.\[\]]+)"
)


def parse_ignore(pattern: str) -> IgnorePath:
    """Parse one ignore path (syntax in the module docstring); InvalidIgnorePath says what is wrong."""
    text = pattern.strip()
    if not text:
        raise InvalidIgnorePath("empty --ignore path")
    segments: List[PatternSegment] = []
    position = 1 if text.startswith("$") else 0
    state = "root" if position else "start"  # what the previous token was
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidIgnorePath(f"--ignore {pattern!r}: unexpected {text[position]!r} at {position}")
        problem, state = _take_token(match, state, segments)
        if problem:
            raise InvalidIgnorePath(f"--ignore {pattern!r}: {problem.format(token=match.group(0), at=position)}")
        position = match.end()
    if state in ("dot", "descend"):
        raise InvalidIgnorePath(f"--ignore {pattern!r}: ends with '.'")
    return tuple(segments)


def _take_token(match: re.Match, state: str, segments: List[PatternSegment]) -> Tuple[str, str]:
    """Append the token's segment; (what is wrong with it there, as a template, or "", the state after it)."""
    if match.group("word") is not None:
        if state not in ("start", "dot", "descend"):
            return "missing '.' before {token!r}", state
        segments.append(_word_segment(match.group(0)))
        return "", "segment"
    if match.group("dot") is not None or match.group("descend") is not None:
        if state not in ("root", "segment"):
            return "unexpected {token!r} at {at}", state
        if match.group("descend") is not None:
            segments.append(PatternSegment("deep"))
            return "", "descend"
        return "", "dot"
    if state == "dot":
        return "unexpected '.' before {token!r}", state
    segments.append(_bracket_segment(match))
    return "", "segment"


def _bracket_segment(match: re.Match) -> PatternSegment:
    if match.group("index") is not None:
        return PatternSegment("index", int(match.group("index")))
    if match.group("any_index") is not None:
        return PatternSegment("any_index")
    return PatternSegment("key", match.group("quoted"))


def _word_segment(word: str) -> PatternSegment:
    if word == "**":
        return PatternSegment("deep")
    if word == "*":
        return PatternSegment("any")
    return PatternSegment("key", word)


def path_matches(pattern: IgnorePath, path: JsonPath) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head.kind == "deep":
        return any(path_matches(rest, path[start:]) for start in range(len(path) + 1))
    if not path:
        return False
    segment = path[0]
    if head.kind == "any":
        matched = True
    elif head.kind == "any_index":
        matched = isinstance(segment, int)
    else:
        matched = type(segment) is type(head.value) and segment == head.value
    return matched and path_matches(rest, path[1:])


def format_path(path: JsonPath) -> str:
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts)


def compare(
    expected: Response,
    actual: Response,
    rtol: float = 0.0,
    atol: float = 0.0,
    ignore: Sequence[str] = (),
    headers: Sequence[str] = (),
) -> List[Difference]:
    """Differences between a recorded and a fresh response, empty when they match (rules in module doc)."""
    if expected.status != actual.status:
        return [Difference("status", expected.status, actual.status, "status differs")]
    differences = _compare_headers(expected, actual, headers)
    kind = body_kind(expected)
    if kind == BODY_JSON:
        differences += _compare_json_bodies(expected, actual, rtol, atol, [parse_ignore(p) for p in ignore])
    elif kind == BODY_TEXT:
        differences += _compare_text_bodies(expected.body.decode("utf-8"), actual.body)
    elif _sha256(expected.body) != _sha256(actual.body):
        differences.append(
            Difference("$", describe_binary(expected.body), describe_binary(actual.body), "binary body differs")
        )
    return differences


def body_kind(response: Response) -> str:
    content_type = response.content_type
    if not is_textual_content_type(content_type):
        return BODY_BINARY
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return BODY_BINARY
    if content_type is None or _is_json_content_type(content_type):
        try:
            json.loads(text)
            return BODY_JSON
        except ValueError:
            return BODY_TEXT
    return BODY_TEXT


def describe_binary(data: bytes) -> str:
    return f"sha256:{_sha256(data)} ({len(data)} bytes)"


def _is_json_content_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _compare_headers(expected: Response, actual: Response, names: Sequence[str]) -> List[Difference]:
    differences = []
    for name in names:
        want, got = header_value(expected.headers, name), header_value(actual.headers, name)
        if want != got:
            differences.append(Difference(f"headers.{name}", want, got, "header differs"))
    return differences


def _compare_json_bodies(
    expected: Response, actual: Response, rtol: float, atol: float, ignore: List[IgnorePath]
) -> List[Difference]:
    want = json.loads(expected.body.decode("utf-8"))
    try:
        got = json.loads(actual.body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        preview = actual.body[:80].decode("utf-8", errors="replace")
        return [Difference("$", "a JSON body", preview, "body is not JSON")]
    differences: List[Difference] = []
    _walk(want, got, (), _Tolerance(rtol, atol, ignore), differences)
    return differences


@dataclass(frozen=True)
class _Tolerance:
    rtol: float
    atol: float
    ignore: List[IgnorePath]

    def ignores(self, path: JsonPath) -> bool:
        return any(path_matches(pattern, path) for pattern in self.ignore)


def _walk(want: Any, got: Any, path: JsonPath, tolerance: _Tolerance, out: List[Difference]) -> None:
    if tolerance.ignores(path):
        return
    here = format_path(path)
    if _json_type(want) != _json_type(got):
        out.append(Difference(here, want, got, f"type differs: expected {_json_type(want)}, got {_json_type(got)}"))
    elif isinstance(want, dict):
        _walk_object(want, got, path, tolerance, out)
    elif isinstance(want, list):
        if len(want) != len(got):
            reason = f"array length differs: expected {len(want)}, got {len(got)}"
            out.append(Difference(here, len(want), len(got), reason))
        else:
            for index, (item_want, item_got) in enumerate(zip(want, got)):
                _walk(item_want, item_got, (*path, index), tolerance, out)
    elif _json_type(want) == "number":
        if not _numbers_close(want, got, tolerance.rtol, tolerance.atol):
            out.append(Difference(here, want, got, _number_reason(want, got, tolerance)))
    elif want != got:
        out.append(Difference(here, want, got, f"{_json_type(want)} differs"))


def _walk_object(want: Dict[str, Any], got: Dict[str, Any], path: JsonPath, tolerance: _Tolerance,
                 out: List[Difference]) -> None:
    for key in want:
        if key not in got and not tolerance.ignores((*path, key)):
            out.append(Difference(format_path((*path, key)), want[key], None, "missing key"))
    for key in got:
        if key not in want and not tolerance.ignores((*path, key)):
            out.append(Difference(format_path((*path, key)), None, got[key], "unexpected key"))
    for key in want:
        if key in got:
            _walk(want[key], got[key], (*path, key), tolerance, out)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _numbers_close(want: Union[int, float], got: Union[int, float], rtol: float, atol: float) -> bool:
    if (isinstance(want, float) and math.isnan(want)) or (isinstance(got, float) and math.isnan(got)):
        return isinstance(want, float) and isinstance(got, float) and math.isnan(want) and math.isnan(got)
    if (isinstance(want, float) and math.isinf(want)) or (isinstance(got, float) and math.isinf(got)):
        return want == got
    return abs(got - want) <= atol + rtol * abs(want)


def _number_reason(want: Union[int, float], got: Union[int, float], tolerance: _Tolerance) -> str:
    if tolerance.rtol == 0 and tolerance.atol == 0:
        return "number differs"
    try:
        delta = abs(got - want)
    except OverflowError:
        return "number differs beyond tolerance"
    return f"number differs by {delta:.6g} (allowed {tolerance.atol + tolerance.rtol * abs(want):.6g})"


def _compare_text_bodies(want: str, got_bytes: bytes) -> List[Difference]:
    try:
        got = got_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return [Difference("$", want[: 2 * TEXT_CONTEXT], describe_binary(got_bytes), "body is not UTF-8 text")]
    if want == got:
        return []
    position = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    line = want.count("\n", 0, position) + 1
    column = position - (want.rfind("\n", 0, position) + 1) + 1
    start = max(0, position - TEXT_CONTEXT)
    return [
        Difference(
            "$",
            want[start : position + TEXT_CONTEXT],
            got[start : position + TEXT_CONTEXT],
            f"text differs at offset {position} (line {line}, column {column})",
        )
    ]
