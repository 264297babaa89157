"""A small Debug Adapter Protocol client (stdlib only), enough to drive debugpy the way VS Code does in tests.

Why it exists: the e2e tests must prove that a real debugger stops at a breakpoint in a container started by
`localep up --debug`, so they speak DAP to the published debugpy port themselves instead of trusting that the
command line looks right. Every wait has a deadline and a failed wait says what the client saw, so a test never
hangs and its failure explains itself.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

HEADER_END = b"\r\n\r\n"

# As VS Code sends them, minus `supportsStartDebuggingRequest`: debugpy then announces a child process with the
# `debugpyAttach` event instead of a reverse `startDebugging` request.
INITIALIZE_ARGUMENTS: Dict[str, Any] = {
    "clientID": "localep-tests",
    "adapterID": "debugpy",
    "pathFormat": "path",
    "linesStartAt1": True,
    "columnsStartAt1": True,
    "supportsVariableType": True,
    "supportsRunInTerminalRequest": False,
}


class DapError(AssertionError):
    """A wait that ran out, a failed request or a closed connection; an AssertionError so pytest shows it plainly."""


@dataclass
class Message:
    """One DAP message as received, with the time it arrived (monotonic seconds) for the failure transcript."""

    body: Dict[str, Any]
    arrived: float

    def summary(self) -> str:
        kind = self.body.get("type")
        if kind == "event":
            return f"event {self.body.get('event')} {json.dumps(self.body.get('body', {}))[:300]}"
        if kind == "response":
            outcome = "ok" if self.body.get("success") else f"failed: {self.body.get('message')}"
            return f"response to #{self.body.get('request_seq')} {self.body.get('command')} {outcome}"
        return f"{kind} {self.body.get('command')}"


def encode(message: Dict[str, Any]) -> bytes:
    """Content-Length framing, as the protocol's base layer requires."""
    payload = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(payload) + payload


def content_length(header: bytes) -> int:
    for line in header.decode("ascii").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    raise DapError(f"DAP header without Content-Length: {header!r}")


@dataclass
class DapClient:
    """One DAP connection: requests are matched to responses by seq, events are kept in order and can be awaited.

    A reader thread parses incoming messages; callers wait on a condition with a deadline. Events are never
    consumed: `wait_event` returns the first matching event after a given index, so a test can ask for "the next
    `stopped` after this point" without racing the reader.
    """

    sock: socket.socket
    label: str
    messages: List[Message] = field(default_factory=list)
    closed_reason: Optional[str] = None
    _seq: int = 0
    _condition: threading.Condition = field(default_factory=threading.Condition)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def connect(cls, host: str, port: int, label: str, timeout: float = 30.0,
                give_up: Callable[[], Optional[str]] = lambda: None) -> DapClient:
        """Connect and complete `initialize`, retrying until `timeout` or until `give_up()` returns a reason.

        Docker publishes the port before debugpy listens, and its proxy accepts a connection only to close it when
        nothing answers inside; so a connection counts once debugpy has answered `initialize`.
        """
        deadline = time.monotonic() + timeout
        last_error = "no attempt"
        while time.monotonic() < deadline:
            reason = give_up()
            if reason is not None:
                raise DapError(f"{label}: stopped waiting for debugpy on {host}:{port}: {reason}")
            try:
                sock = socket.create_connection((host, port), timeout=2.0)
            except OSError as error:
                last_error = f"{type(error).__name__}: {error}"
                time.sleep(0.2)
                continue
            sock.settimeout(None)
            client = cls(sock=sock, label=label)
            threading.Thread(target=client._read_forever, name=f"dap-reader-{label}", daemon=True).start()
            try:
                client.request("initialize", INITIALIZE_ARGUMENTS, max(1.0, min(10.0, deadline - time.monotonic())))
                return client
            except DapError as error:
                client.close()
                last_error = str(error)
                time.sleep(0.2)
        raise DapError(f"{label}: no debugpy answered on {host}:{port} within {timeout:.0f}s; "
                       f"last attempt: {last_error}")

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _read_forever(self) -> None:
        buffer = b""
        try:
            while True:
                while HEADER_END not in buffer:
                    buffer += self._receive()
                header, buffer = buffer.split(HEADER_END, 1)
                length = content_length(header)
                while len(buffer) < length:
                    buffer += self._receive()
                payload, buffer = buffer[:length], buffer[length:]
                with self._condition:
                    self.messages.append(Message(json.loads(payload), time.monotonic()))
                    self._condition.notify_all()
        except (OSError, ConnectionError, ValueError, DapError) as error:
            with self._condition:
                self.closed_reason = f"{type(error).__name__}: {error}"
                self._condition.notify_all()

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("debugpy closed the connection")
        return chunk

    def send_request(self, command: str, arguments: Optional[Dict[str, Any]] = None) -> int:
        """Send a request without waiting (debugpy answers `attach` only after `configurationDone`); returns its seq."""
        with self._send_lock:
            self._seq += 1
            seq = self._seq
            message: Dict[str, Any] = {"seq": seq, "type": "request", "command": command}
            if arguments is not None:
                message["arguments"] = arguments
            try:
                self.sock.sendall(encode(message))
            except OSError as error:
                raise DapError(f"{self.label}: cannot send {command}: {error}; received:\n{self.transcript()}") \
                    from None
        return seq

    def response(self, seq: int, timeout: float) -> Dict[str, Any]:
        """The body of the successful response to request `seq`; a failed response or no response is a DapError."""
        found = self._wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, 0, timeout,
                           f"the response to request #{seq}")
        if not found.body.get("success"):
            raise DapError(f"{self.label}: {found.body.get('command')} failed: {found.body.get('message')} "
                           f"{json.dumps(found.body.get('body', {}))[:500]}")
        return found.body.get("body", {})

    def request(self, command: str, arguments: Optional[Dict[str, Any]] = None,
                timeout: float = 30.0) -> Dict[str, Any]:
        return self.response(self.send_request(command, arguments), timeout)

    def mark(self) -> int:
        """An index into the messages so far: `wait_event(..., after=mark)` ignores everything that came before."""
        with self._condition:
            return len(self.messages)

    def events(self, event: str, after: int = 0) -> List[Dict[str, Any]]:
        """The bodies of every `event` received so far at or after index `after`, without waiting."""
        with self._condition:
            return [m.body.get("body", {}) for m in self.messages[after:]
                    if m.body.get("type") == "event" and m.body.get("event") == event]

    def wait_event(self, event: str, timeout: float, after: int = 0,
                   where: Callable[[Dict[str, Any]], bool] = lambda body: True) -> Dict[str, Any]:
        """The body of the first `event` received at or after index `after` for which `where(body)` holds."""
        found = self._wait(
            lambda m: m.get("type") == "event" and m.get("event") == event and where(m.get("body", {})),
            after, timeout, f"event '{event}'",
        )
        return found.body.get("body", {})

    def _wait(self, matches: Callable[[Dict[str, Any]], bool], after: int, timeout: float,
              what: str) -> Message:
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for message in self.messages[after:]:
                    if matches(message.body):
                        return message
                remaining = deadline - time.monotonic()
                if self.closed_reason is not None or remaining <= 0:
                    reason = f"connection closed ({self.closed_reason})" if self.closed_reason else \
                        f"nothing within {timeout:.0f}s"
                    raise DapError(f"{self.label}: waiting for {what}: {reason}; received:\n{self.transcript()}")
                self._condition.wait(remaining)

    def transcript(self) -> str:
        """Every message received so far, one line each, for failure messages."""
        with self._condition:
            if not self.messages:
                return "  (nothing)"
            start = self.messages[0].arrived
            return "\n".join(f"  +{m.arrived - start:6.2f}s {m.summary()}" for m in self.messages)


@dataclass
class Session:
    """One attached debuggee process (the gunicorn master, or a worker accepted from `debugpyAttach`)."""

    client: DapClient
    attach_seq: int

    def set_breakpoints(self, source: str, lines: List[int], timeout: float = 30.0) -> List[Dict[str, Any]]:
        body = self.client.request("setBreakpoints", {
            "source": {"path": source},
            "breakpoints": [{"line": line} for line in lines],
        }, timeout)
        return body.get("breakpoints", [])

    def configuration_done(self, timeout: float = 30.0) -> None:
        """Finish configuration; debugpy answers the pending `attach` only now, so both responses are awaited."""
        self.client.request("configurationDone", None, timeout)
        self.client.response(self.attach_seq, timeout)


def attach(client: DapClient, configuration: Dict[str, Any], timeout: float = 30.0) -> Session:
    """Attach with `configuration` (on a client that `connect` has initialized) and wait for `initialized`:
    breakpoints may be set next."""
    mark = client.mark()
    seq = client.send_request("attach", configuration)
    client.wait_event("initialized", timeout, after=mark)
    return Session(client=client, attach_seq=seq)


@dataclass
class Stop:
    """Where a thread stopped: enough to check the line and evaluate in the top frame."""

    thread_id: int
    frame_id: int
    path: str
    line: int
    function: str


def top_frame(session: Session, stopped: Dict[str, Any], timeout: float = 30.0) -> Stop:
    thread_id = stopped["threadId"]
    trace = session.client.request("stackTrace", {"threadId": thread_id, "startFrame": 0, "levels": 1}, timeout)
    frame = trace["stackFrames"][0]
    return Stop(thread_id=thread_id, frame_id=frame["id"], path=frame.get("source", {}).get("path", ""),
                line=frame["line"], function=frame["name"])


def evaluate(session: Session, frame_id: int, expression: str, timeout: float = 30.0) -> str:
    body = session.client.request("evaluate", {"expression": expression, "frameId": frame_id, "context": "repl"},
                                  timeout)
    return body["result"]
