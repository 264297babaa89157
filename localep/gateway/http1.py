"""Just enough HTTP/1.1 framing for a proxy, without the email-parser cost of http.server / http.client.

The standard library parses every header block with the email package (about 0.1 ms per message);
a gateway that parses two blocks per request spends most of its CPU there. These helpers read the start
line, the headers and the body framing (Content-Length, chunked, or until close) and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Tuple

Headers = List[Tuple[str, str]]

MAX_LINE = 65536
MAX_HEADERS = 200


class BadMessage(ValueError):
    """The peer sent something that is not HTTP/1.x; the connection cannot be trusted any further."""


@dataclass(frozen=True)
class Message:
    start_line: str
    headers: Headers
    lookup: Dict[str, str] = field(repr=False)  # lower-cased name -> value (last one wins)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.lookup.get(name, default)


class ByteStream(Protocol):
    """What the parser needs of a socket file: a buffered reader (`socket.makefile("rb")` or a handler's rfile)."""

    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


def read_head(stream: ByteStream) -> Optional[Message]:
    """The start line and headers; None when the peer closed the connection before sending anything."""
    line = stream.readline(MAX_LINE + 1)
    while line in (b"\r\n", b"\n"):  # tolerated before a request (RFC 9112 2.2)
        line = stream.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise BadMessage("start line too long or cut off")
    headers: Headers = []
    lookup: Dict[str, str] = {}
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if raw in (b"\r\n", b"\n"):
            break
        if not raw or len(raw) > MAX_LINE or not raw.endswith(b"\n"):
            raise BadMessage("header block cut off or line too long")
        if len(headers) >= MAX_HEADERS:
            raise BadMessage(f"more than {MAX_HEADERS} headers")
        name, colon, value = raw.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise BadMessage(f"malformed header line {raw[:60]!r}")
        value = value.strip()
        headers.append((name, value))
        lookup[name.lower()] = value
    return Message(line.decode("latin-1").rstrip("\r\n"), headers, lookup)


def read_body(stream: ByteStream, head: Message, until_close: bool) -> bytes:
    """The body framed by `head`; `until_close` for responses without length (read to EOF)."""
    if "chunked" in head.lookup.get("transfer-encoding", "").lower():
        return read_chunked(stream)
    length = head.lookup.get("content-length")
    if length is not None:
        try:
            size = int(length)
        except ValueError:
            raise BadMessage(f"bad Content-Length {length!r}") from None
        if size < 0:
            raise BadMessage(f"bad Content-Length {length!r}")
        data = stream.read(size) if size else b""
        if len(data) != size:
            raise BadMessage(f"body cut off after {len(data)} of {size} bytes")
        return data
    return stream.read() if until_close else b""


def read_chunked(stream: ByteStream) -> bytes:
    chunks = []
    while True:
        line = stream.readline(MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadMessage(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            break
        chunk = stream.read(size)
        if len(chunk) != size or stream.readline(3) not in (b"\r\n", b"\n"):
            raise BadMessage("chunk cut off")
        chunks.append(chunk)
    while True:  # trailer fields: read past them, nothing downstream needs them
        line = stream.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return b"".join(chunks)


def encode_head(start_line: str, headers: Headers) -> bytes:
    return (start_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n").encode(
        "latin-1"
    )
