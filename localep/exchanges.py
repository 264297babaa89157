"""The recording format: one JSON line per HTTP exchange, safe to append to from many threads and processes.

A line looks like (wrapped here):

    {"time": "2024-05-01T12:00:00.123Z", "method": "POST", "path": "/score?verbose=1",
     "request": {"headers": {"Authorization": "<redacted>", ...}, "body": {"text": "{\"data\": [1]}"}},
     "response": {"status": 200, "headers": {...}, "body": {"base64": "iVBORw0..."}},
     "latency_ms": 12.5, "deployment": "blue"}

Bodies are `{"text": ...}` when they are UTF-8 and their content type is textual (or absent), otherwise
`{"base64": ...}`, so the file stays readable for JSON APIs and still round-trips images byte for byte.
Secrets are redacted when the line is written, so no key ever reaches the file: credential-bearing headers and
secret-looking query parameters (`redact_headers`, `redact_target`, the one home of that rule). The file is created
owner-only (0600): bodies are the user's data.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import unquote_plus

from localep.errors import Location, SpecError
from localep.fileio import open_append, write_whole

try:
    import fcntl
except ImportError:  # Windows: O_APPEND plus the in-process lock below is the best available
    fcntl = None  # type: ignore[assignment]

REDACTED = "<redacted>"

SECRET_HEADER_NAMES = frozenset(
    {"authorization", "authentication", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
     "ocp-apim-subscription-key"}
)
# Header families that carry identities or credentials: X-Auth-*, X-Credential-*, X-Ms-Client-Principal-* (App Service).
SECRET_HEADER_PREFIXES = ("x-auth", "x-credential", "x-ms-client-principal")
SECRET_NAME_PARTS = ("key", "token", "secret", "password", "credential", "signature")
# Query parameters that are secrets though their names hold none of the parts: SAS `sig`, OAuth `code`.
SECRET_QUERY_NAMES = frozenset({"sig", "code", "auth", "pwd", "passwd"})

TEXTUAL_CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "application/yaml",
        "application/x-yaml",
        "application/csv",
    }
)


class ReplayFileError(SpecError):
    """A recording, request or expectation file that cannot be read; carries the file and line."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # path and query, relative to the endpoint's base URL ("" when the base URL is the full URI)
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int  # 0 when no HTTP response arrived (connection refused, timeout)
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> Optional[str]:
        return header_value(self.headers, "content-type")


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as the gateway saw them."""

    time: str  # ISO-8601 UTC, e.g. "2024-05-01T12:00:00.123Z"
    method: str
    path: str
    request_headers: Dict[str, str]
    request_body: bytes
    status: int
    response_headers: Dict[str, str]
    response_body: bytes
    latency_ms: float
    deployment: Optional[str] = None

    @property
    def request(self) -> Request:
        return Request(self.method, self.path, dict(self.request_headers), self.request_body)

    @property
    def response(self) -> Response:
        return Response(self.status, dict(self.response_headers), self.response_body)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form, with secret headers redacted."""
        return {
            "time": self.time,
            "method": self.method,
            "path": redact_target(self.path),
            "request": {
                "headers": redact_headers(self.request_headers),
                "body": encode_body(self.request_body, header_value(self.request_headers, "content-type")),
            },
            "response": {
                "status": self.status,
                "headers": redact_headers(self.response_headers),
                "body": encode_body(self.response_body, header_value(self.response_headers, "content-type")),
            },
            "latency_ms": round(self.latency_ms, 3),
            "deployment": self.deployment,
        }

    def to_json_line(self) -> str:
        """One line, newline included; non-ASCII is escaped so the line is plain ASCII."""
        return json.dumps(self.to_dict(), separators=(",", ":")) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Exchange:
        """Inverse of to_dict; raises ValueError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        request = _field(data, "request", dict)
        response = _field(data, "response", dict)
        latency = _field(data, "latency_ms", (int, float))
        deployment = data.get("deployment")
        if deployment is not None and not isinstance(deployment, str):
            raise ValueError("'deployment' must be a string or null")
        return cls(
            time=_field(data, "time", str),
            method=_field(data, "method", str),
            path=_field(data, "path", str),
            request_headers=_headers(request, "request.headers"),
            request_body=decode_body(request.get("body", {"text": ""}), "request.body"),
            status=_field(response, "status", int, "response.status"),
            response_headers=_headers(response, "response.headers"),
            response_body=decode_body(response.get("body", {"text": ""}), "response.body"),
            latency_ms=float(latency),
            deployment=deployment,
        )


def utc_timestamp(moment: Optional[datetime] = None) -> str:
    """ISO-8601 UTC with milliseconds and a Z, the form Exchange.time uses."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def header_value(headers: Mapping[str, str], name: str) -> Optional[str]:
    """Case-insensitive header lookup (HTTP header names are case-insensitive)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return (lowered in SECRET_HEADER_NAMES or lowered.startswith(SECRET_HEADER_PREFIXES)
            or any(part in lowered for part in SECRET_NAME_PARTS))


def is_secret_query_parameter(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    return lowered in SECRET_QUERY_NAMES or any(part in lowered for part in SECRET_NAME_PARTS)


def redact_target(target: str) -> str:
    """`target` (path and query) with the value of every secret-looking query parameter replaced by REDACTED;
    everything else, the order and the encoding of the other parameters included, is kept byte for byte."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    fields = []
    for field_text in query.split("&"):
        name, equals, _ = field_text.partition("=")
        fields.append(f"{name}={REDACTED}" if equals and is_secret_query_parameter(name) else field_text)
    return f"{path}?{'&'.join(fields)}"


def redact_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    """Copy of `headers` with every credential-bearing value replaced by REDACTED."""
    return {name: (REDACTED if is_secret_header(name) else value) for name, value in headers.items()}


def is_textual_content_type(content_type: Optional[str]) -> bool:
    """True for text/*, JSON, XML and the like; also for no content type, where only the bytes can tell."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in TEXTUAL_CONTENT_TYPES
        or media_type.endswith("+json")
        or media_type.endswith("+xml")
    )


def encode_body(data: bytes, content_type: Optional[str]) -> Dict[str, str]:
    if is_textual_content_type(content_type):
        try:
            return {"text": data.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"base64": base64.b64encode(data).decode("ascii")}


def decode_body(encoded: Any, what: str = "body") -> bytes:
    if isinstance(encoded, dict) and len(encoded) == 1:
        if isinstance(encoded.get("text"), str):
            return encoded["text"].encode("utf-8")
        if isinstance(encoded.get("base64"), str):
            try:
                return base64.b64decode(encoded["base64"], validate=True)
            except ValueError as error:
                raise ValueError(f"'{what}.base64' is not valid base64: {error}") from None
    raise ValueError(f"'{what}' must be {{\"text\": string}} or {{\"base64\": string}}")


class ExchangeLog:
    """Append-only JSONL file of exchanges.

    Each append opens the file with O_APPEND and writes the whole line with one os.write while holding an
    exclusive flock, so lines from concurrent threads and processes never interleave, and a file that was
    moved away (log rotation) is simply recreated.
    """

    _thread_lock = threading.Lock()  # threads of this process; flock covers other processes

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, exchange: Exchange) -> None:
        self.append_line(exchange.to_json_line())

    def append_line(self, line: str) -> None:
        data = line.encode("utf-8")
        with self._thread_lock:
            stream = open_append(self.path, private=True)
            fd = stream.fileno()
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                write_whole(fd, data, self.path)  # a full disk cuts the line off again: never half a line
            finally:
                stream.close()  # closing releases the flock


def iter_exchanges(path: Path) -> Iterator[Tuple[int, Exchange]]:
    """Yield (line number, Exchange) for each non-blank line; ReplayFileError with file:line otherwise."""
    path = Path(path)
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as error:
        raise ReplayFileError(f"cannot read recording: {error.strerror}", Location(path)) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, Exchange.from_dict(json.loads(line))
            except ValueError as error:  # json.JSONDecodeError is a ValueError
                raise ReplayFileError(f"malformed exchange: {error}", Location(path, number)) from None


def read_exchanges(path: Path) -> List[Exchange]:
    return [exchange for _, exchange in iter_exchanges(path)]


def _field(data: Dict[str, Any], key: str, types: Any, name: Optional[str] = None) -> Any:
    name = name or key
    if key not in data:
        raise ValueError(f"missing '{name}'")
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, types):
        raise ValueError(f"'{name}' has the wrong type ({type(value).__name__})")
    return value


def _headers(data: Dict[str, Any], name: str) -> Dict[str, str]:
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ValueError(f"'{name}' must be an object of strings")
    return dict(headers)
