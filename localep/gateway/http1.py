"""HTTP/1.1 on llhttp (httptools), with the limits a proxy must add itself in one place.

llhttp (Node.js's parser) decides framing: Content-Length and chunked syntax, duplicate or conflicting lengths,
Transfer-Encoding that does not end in chunked, bare CR/LF and control characters in the head. It does not
bound how big a head may be, how many headers it has, or what the request target and header values may
contain beyond its grammar, and it does not know which Host names this endpoint answers to: `check_head`
adds those. Every rejection is a `Rejection` carrying the status code the client gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

Headers = List[Tuple[str, str]]

# Bytes a request target may hold (RFC 9112 origin-form: visible ASCII, no spaces, no controls).
BAD_TARGET = re.compile(rb"[^\x21-\x7e]")
# Field values: visible characters, spaces and tabs only; CR, LF, NUL and other controls would be forwarded
# to the deployment (where a lenient server reads them as new headers) and written raw to the log.
BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    """What a client may make the gateway hold; the defaults are documented in the README."""

    max_head_bytes: int = 64 * 1024  # request line + headers
    max_headers: int = 100
    # Open client connections; past it the oldest idle one is closed for the new one (503 only when none is idle).
    max_connections: int = 1024
    head_deadline_s: float = 10.0  # from a request's first byte to the end of its head
    credential_deadline_s: float = 10.0  # a new connection's life until a request on it carries a valid credential
    read_deadline_s: float = 60.0  # from the end of a request's head to the end of its body
    idle_timeout_s: float = 60.0  # a kept-alive, authenticated connection with no request for this long is closed
    linger_s: float = 1.0  # after a rejection, read (and drop) what the client still sends, so it sees the answer


class Rejection(Exception):
    """The request cannot be served; `status` and `code` are what the client is told."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BadMessage(ValueError):
    """An upstream sent something that is not a complete HTTP/1.x answer."""


@dataclass
class RequestHead:
    method: str
    target: str
    version: str
    headers: Headers
    lookup: Dict[str, str] = field(repr=False)  # lower-cased name -> value (last one wins)
    keep_alive: bool = True

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.lookup.get(name, default)


def allowed_hosts(port: int) -> FrozenSet[str]:
    """The Host values a request to this endpoint may carry: its own loopback addresses, nothing a DNS name
    chosen by a web page could resolve to (DNS rebinding)."""
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


def check_head(raw_target: bytes, raw_headers: List[Tuple[bytes, bytes]], version: str, limits: Limits,
               hosts: Optional[FrozenSet[str]]) -> Tuple[str, Headers, Dict[str, str]]:
    """The target and headers decoded, or a Rejection; `hosts` None skips the Host check (control socket)."""
    if len(raw_headers) > limits.max_headers:
        raise Rejection(400, "BadRequest", f"more than {limits.max_headers} header fields")
    if not raw_target.startswith(b"/") or BAD_TARGET.search(raw_target):
        raise Rejection(400, "BadRequest", "the request target must be a path (origin-form) of visible ASCII")
    headers: Headers = []
    lookup: Dict[str, str] = {}
    host_count = 0
    for raw_name, raw_value in raw_headers:
        name, value = _decoded_field(raw_name, raw_value, lookup)
        host_count += name.lower() == "host"
        headers.append((name, value))
        lookup[name.lower()] = value
    if hosts is not None:
        _check_host(lookup.get("host"), host_count, version, hosts)
    return raw_target.decode("ascii"), headers, lookup


def _decoded_field(raw_name: bytes, raw_value: bytes, seen: Dict[str, str]) -> Tuple[str, str]:
    """One header field decoded; control characters and a Transfer-Encoding other than one `chunked` are refused."""
    if BAD_VALUE.search(raw_value):
        raise Rejection(400, "BadRequest", f"control character in the value of header {raw_name[:40]!r}")
    name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
    if name.lower() == "transfer-encoding" and (value.strip().lower() != "chunked" or "transfer-encoding" in seen):
        raise Rejection(400, "BadRequest", f"unsupported Transfer-Encoding {value[:40]!r}: only 'chunked' is")
    return name, value


def _check_host(host: Optional[str], host_count: int, version: str, hosts: FrozenSet[str]) -> None:
    if host_count > 1:
        raise Rejection(400, "BadRequest", "more than one Host header")
    if host is None:
        if version != "1.0":
            raise Rejection(400, "BadRequest", "HTTP/1.1 requests need a Host header")
    elif host.lower() not in hosts:
        raise Rejection(400, "BadHost", f"Host {host[:60]!r} is not this endpoint (use {sorted(hosts)[0]})")


def encode_head(start_line: str, headers: Headers) -> bytes:
    return (start_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n").encode(
        "latin-1"
    )
