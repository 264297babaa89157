"""One HTTP exchange with a deployment instance over a fresh connection, its answer parsed by llhttp.

The inference server closes the connection after every response, so there is nothing to pool. The whole
request goes out in one write (no Nagle stalls) and `request_timeout_ms` bounds the whole exchange, from
connect to the last byte of the answer, not each read.
"""

from __future__ import annotations

import asyncio
import errno
import http.client
import os
import select
import socket
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import httptools

from localep.gateway.body import Body
from localep.gateway.http1 import BadMessage, Headers, encode_head

CONNECT_AT_ONCE_MS = 1
# A local instance accepts at once; one that has not within this is gone (e.g. its container IP no longer
# answers ARP while it restarts): the caller answers 503 at once instead of waiting out request_timeout_ms.
CONNECT_TIMEOUT_S = 0.5

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
        "expect",
    }
)


class UpstreamTimeout(Exception):
    """The instance did not finish its answer before the deadline."""


class NoAnswer(BadMessage):
    """The connection closed before a single byte came back: nothing serves behind the port (yet), e.g. Docker's
    userland proxy accepted it for a container whose server is still starting."""


@dataclass(frozen=True)
class Address:
    """An upstream resolved once, so each request connects without a name lookup."""

    host: str
    port: int
    family: int = socket.AF_INET
    sockaddr: Tuple[Any, ...] = ()

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    reason: str
    headers: Headers
    body: bytes


def parse_upstream(url: str) -> Address:
    parts = urlsplit(url if "//" in url else f"http://{url}")
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ValueError(f"upstream {url!r} must look like http://127.0.0.1:PORT")
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(parts.hostname, parts.port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise ValueError(f"upstream {url!r}: cannot resolve {parts.hostname!r}: {error.strerror}") from None
    return Address(parts.hostname, parts.port, family, tuple(sockaddr))


def end_to_end(headers: Sequence[Tuple[str, str]], drop: Sequence[str] = ()) -> Headers:
    """Headers a proxy forwards: hop-by-hop ones (and framing, which is recomputed) are removed, and so are the
    ones the `Connection` header names as hop-by-hop for this hop (RFC 9110 7.6.1)."""
    named = {token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")}
    dropped = HOP_BY_HOP.union(name.lower() for name in drop).union(named)
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def encode_request(method: str, path: str, address: Address, headers: Headers, body: bytes,
                   size: Optional[int] = None) -> bytes:
    """Head and body as one buffer; with `size` the head alone, announcing a body of `size` bytes sent after it."""
    length = len(body) if size is None else size
    framing = [("Content-Length", str(length))] if length or method in ("POST", "PUT", "PATCH") else []
    head = [("Host", address.authority), ("Connection", "close"), *headers, *framing]
    return encode_head(f"{method} {path} HTTP/1.1", head) + body


async def send_request(loop: asyncio.AbstractEventLoop, sock: socket.socket, method: str, path: str,
                       address: Address, headers: Headers, body: Union[bytes, Body]) -> None:
    """A small body goes out with the head in one write; a spooled one follows the head by sendfile."""
    if isinstance(body, bytes):
        await loop.sock_sendall(sock, encode_request(method, path, address, headers, body))
        return
    spooled = body.file
    if spooled is None:
        await loop.sock_sendall(sock, encode_request(method, path, address, headers, body.in_memory()))
        return
    await loop.sock_sendall(sock, encode_request(method, path, address, headers, b"", body.size))
    await loop.sock_sendfile(sock, spooled, 0, body.size)


class AnswerReader(asyncio.Protocol):
    """Feeds what the instance sends to llhttp and resolves `answer` with the first final (non-1xx) answer."""

    def __init__(self, loop: asyncio.AbstractEventLoop, method: str, max_body_bytes: int) -> None:
        self.answer: asyncio.Future[UpstreamAnswer] = loop.create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._bodiless_request = method == "HEAD"
        self._max_body = max_body_bytes
        self._reason = b""
        self._headers: Headers = []
        self._body: List[bytes] = []
        self._size = 0
        self._headers_done = False
        self._framed = False
        self._received = 0

    # llhttp callbacks
    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        self._headers_done = True
        self._framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in self._headers)
        if status >= 200 and (self._bodiless_request or status in (204, 304)):
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max_body:
            self._fail(BadMessage(f"the answer is larger than {self._max_body} bytes"))
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:  # 1xx interim answers (100 Continue) precede the real one
            self._reason, self._headers, self._headers_done = b"", [], False
            return
        self._finish()

    # transport callbacks
    def data_received(self, data: bytes) -> None:
        if self.answer.done():
            return
        self._received += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(BadMessage(f"malformed answer: {error}"))

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.answer.done():
            return
        if self._headers_done and not self._framed:
            self._finish()  # a body delimited by the end of the connection
        elif not self._received:
            self._fail(NoAnswer(f"the connection {'was reset' if exc else 'closed'} without an answer"))
        elif exc is not None:
            self._fail(exc)
        else:
            self._fail(BadMessage("the connection closed before a complete answer"))

    def _finish(self) -> None:
        if not self.answer.done():
            reason = self._reason.decode("latin-1").strip()
            self.answer.set_result(UpstreamAnswer(self._parser.get_status_code(), reason, self._headers,
                                                  b"".join(self._body)))

    def _fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


async def exchange(address: Address, method: str, path: str, headers: Headers, body: Union[bytes, Body],
                   timeout_s: float, max_body_bytes: int) -> UpstreamAnswer:
    """Send one request and read the whole answer within `timeout_s`.

    Raises ConnectionRefusedError when nothing listens (safe to try another instance), UpstreamTimeout past the
    deadline, and OSError / BadMessage when the instance broke off or answered garbage. Plain socket calls on
    the loop (no transport per request) keep the gateway's CPU per request low.
    """
    loop = asyncio.get_running_loop()
    reader = AnswerReader(loop, method, max_body_bytes)
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connecting = [asyncio.current_task()]
    deadline = loop.call_later(timeout_s, _expire, reader, connecting)
    fd = sock.fileno()
    watching = False
    try:
        if not connected_at_once(sock, address):
            await asyncio.wait_for(loop.sock_connect(sock, address.sockaddr), CONNECT_TIMEOUT_S)
        await send_request(loop, sock, method, path, address, headers, body)
        connecting.clear()  # from here the deadline fails the answer itself
        loop.add_reader(fd, _read_ready, sock, reader)  # one registration for the whole answer
        watching = True
        return await reader.answer
    except asyncio.CancelledError:
        if reader.answer.done() and isinstance(reader.answer.exception(), UpstreamTimeout):
            raise UpstreamTimeout() from None
        raise
    finally:
        deadline.cancel()
        if watching:
            loop.remove_reader(fd)
        sock.close()


def _read_ready(sock: socket.socket, reader: AnswerReader) -> None:
    try:
        data = sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return
    except OSError as error:
        reader.connection_lost(error)
        return
    if data:
        reader.data_received(data)
    else:
        reader.connection_lost(None)


def connected_at_once(sock: socket.socket, address: Address) -> bool:
    """Connect without a trip through the event loop when the handshake completes within a millisecond, as it
    does to a local port or a container on this host; anything slower is left to the loop."""
    error = sock.connect_ex(address.sockaddr)
    if error == 0:
        return True
    if error != errno.EINPROGRESS:
        raise OSError(error, os.strerror(error))  # e.g. ECONNREFUSED, as ConnectionRefusedError
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    if not poller.poll(CONNECT_AT_ONCE_MS):
        return False
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise OSError(error, os.strerror(error))
    return True


def _expire(reader: AnswerReader, connecting: List[Optional[asyncio.Task[Any]]]) -> None:
    reader._fail(UpstreamTimeout())
    for task in connecting:  # still connecting or sending: nothing else would wake the task
        if task is not None:
            task.cancel()


def probe(address: Address, path: str, timeout_s: float, headers: Sequence[Tuple[str, str]] = ()) -> Optional[str]:
    """None when the instance answers 200 on its liveness route, otherwise why it did not (blocking: probes
    run on their own threads, once per period). `headers`: the instance's credential."""
    connection = http.client.HTTPConnection(address.host, address.port, timeout=timeout_s)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        response.read()
    except socket.timeout:
        return f"no answer within {timeout_s:g}s"
    except (OSError, http.client.HTTPException) as error:
        return f"{type(error).__name__}: {error}"
    finally:
        connection.close()
    return None if response.status == 200 else f"answered {response.status} {response.reason}"
