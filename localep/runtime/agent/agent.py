"""localep's in-container agent: supervises the Azure ML inference server so a bad save never kills the endpoint.

It is the container's command, bind-mounted read-only and run with the image's own Python (any Python >= 3.8,
standard library only, never imports localep):

    python /opt/localep/agent.py --port 5001 [--keep-alive] [--host 0.0.0.0] [--stop-timeout 5] -- <server argv...>

Why it exists: the inference server has no reload of its own, and after a broken save (syntax error, failing
init()) the gunicorn master exits. The agent relays the server's output (so `docker logs` shows it), tells the
host when the server answers, forwards SIGHUP for a reload, and when the server dies after having worked once it
answers every request with a 503 that names the error until the next SIGHUP restarts the server.

The server runs in its own session (so stopping it ends every process it started, a debugpy adapter included),
with the agent's environment plus PYTHONUNBUFFERED=1 and PYTHONDONTWRITEBYTECODE=1 unless they are set: its
output must arrive line by line, and a stale .pyc must never hide a save.

Lines the host parses (the only lines the agent writes itself; everything else is the server's own output):

    localep-agent: ready
        A freshly started server answered `GET /` with 200 for the first time.
    localep-agent: reloading
        SIGHUP received: forwarded to the server (a worker swap), or the server is being (re)started.
    localep-agent: reloaded
        After a SIGHUP, a new worker answers `GET /` with 200 (comes after `ready` when the server was restarted).
        Every `reloading` ends in `reloaded` or in one of the `server exited` lines.
    localep-agent: server exited with code N
        The server exited before it ever answered (and no --keep-alive): the agent exits with code N next.
    localep-agent: server exited with code N; serving 503 until the next good save
        The server exited after having answered once (or at any time with --keep-alive). Its traceback is already
        in the relayed output above; the 503 answers by the time this line is printed.
    localep-agent: cannot serve 503 on port P: REASON
        Comes just before the line above when the port could not be bound.
    localep-agent: cannot start SERVER: REASON
        The agent exits with code 127 after the second one.
    localep-agent: stopped
        SIGTERM/SIGINT handled: the server and all its processes are gone; the agent exits 0.

N is the server's exit status, or 128 + the signal number when a signal killed it.

Only the endpoint may call the container: with LOCALEP_UPSTREAM_SECRET set, the agent's own probes send it as
`X-Localep-Upstream-Secret`, the server checks it (gunicorn_gate.py) and the 503 fallback answers 403 without it.

The 503 answer (any method, any path, `/` included) is JSON:
    {"error": "scoring script failed to load", "detail": "SyntaxError: '(' was never closed",
     "location": "/var/azureml-app/src/score.py:2", "exit_code": 3,
     "hint": "fix the code and save; localep reloads it"}
`detail` is the root exception of the last traceback in the server's output (else its last line); `location` is
that exception's innermost `File ..., line ...` frame in the user's code (outside the Python installation), left
out when there is none.

Reload detection: gunicorn keeps the master PID across SIGHUP, so an answer alone proves nothing. The workers
announce themselves ("Booting worker with pid: N"); after SIGHUP the agent waits until the workers alive at that
moment are gone, then for a 200. A server that announces no workers is "reloaded" at its first 200 after SIGHUP.
"""

from __future__ import annotations

import argparse
import collections
import hmac
import http.client
import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Callable, Deque, Dict, Iterator, List, Optional, Sequence, Set, Tuple

try:  # on the host (tests, tools)
    from localep import processes
    from localep.runtime.agent import agentstatus, tracebacks
    from localep.runtime.agent.hints import NO_EGRESS_VARIABLE, Hints
    from localep.runtime.agent.noegress import cut_egress
except ImportError:  # in the container: localep mounts these stdlib-only modules beside this file
    import agentstatus  # type: ignore[import-not-found,no-redef]
    import tracebacks  # type: ignore[import-not-found,no-redef]
    from hints import NO_EGRESS_VARIABLE, Hints  # type: ignore[import-not-found,no-redef]
    from noegress import cut_egress  # type: ignore[import-not-found,no-redef]

    import processes  # type: ignore[import-not-found,no-redef]

AgentStatus = agentstatus.AgentStatus

POLL_SECONDS = 0.05
LOG_LINES_KEPT = 200
PROBE_TIMEOUT_SECONDS = 5.0
OUTPUT_DRAIN_SECONDS = 1.0
BIND_RETRY_SECONDS = 2.0
EXEC_FAILED = 127

FALLBACK_ERROR = "scoring script failed to load"
FALLBACK_HINT = "fix the code and save; localep reloads it"

WORKER_BOOTED = re.compile(r"Booting worker with pid: (\d+)")
# gunicorn's master says this just before it exits; under debugpy the exit itself can take seconds.
BOOT_FAILED = re.compile(r"Reason: Worker failed to boot")
GUNICORN_BOOT_ERROR = 3  # the master's exit status for that reason


# --- What went wrong: pure functions over the server's output ---------------------------------------------------


def unavailable_body(failure: tracebacks.Failure, exit_code: int) -> bytes:
    answer: Dict[str, object] = {"error": FALLBACK_ERROR, "detail": failure.detail}
    if failure.location:
        answer["location"] = failure.location
    answer.update({"exit_code": exit_code, "hint": FALLBACK_HINT})
    return json.dumps(answer).encode("utf-8")


def exit_code_of(wait_status: int) -> int:
    """The shell's convention: the exit status, or 128 + signal number for a process a signal killed."""
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


# --- Output: relayed server lines and the agent's own status lines ----------------------------------------------


class Console:
    """The agent's stdout: whole lines only, flushed at once so `docker logs` and the host see them live."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._lock = threading.Lock()

    def write_line(self, line: bytes) -> None:
        with self._lock:
            self._stream.write(line if line.endswith(b"\n") else line + b"\n")
            self._stream.flush()

    def status(self, status: AgentStatus) -> None:
        self.write_line(status.line().encode("utf-8"))


class ServerLog:
    """The server's recent output lines (to explain a crash) and the gunicorn worker pids it announced."""

    def __init__(self, keep: int = LOG_LINES_KEPT, hints: Optional[Hints] = None):
        self.hints = hints or Hints(no_egress=False)
        self._lines: Deque[Tuple[int, str]] = collections.deque(maxlen=keep)
        self._count = 0
        self._workers: Set[int] = set()
        self._boot_failed_at = 0
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        booted = WORKER_BOOTED.search(line)
        with self._lock:
            self._count += 1
            self._lines.append((self._count, line))
            if booted:
                self._workers.add(int(booted.group(1)))
            if BOOT_FAILED.search(line):
                self._boot_failed_at = self._count

    def boot_failed_since(self, mark: int) -> bool:
        with self._lock:
            return self._boot_failed_at > mark

    def mark(self) -> int:
        with self._lock:
            return self._count

    def lines_since(self, mark: int) -> List[str]:
        with self._lock:
            return [line for number, line in self._lines if number > mark]

    def workers(self) -> Set[int]:
        with self._lock:
            return set(self._workers)


def relay(stream: IO[bytes], console: Console, log: ServerLog) -> None:
    for raw in iter(stream.readline, b""):
        console.write_line(raw)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        log.add(line)
        hint = log.hints.explain(line)
        if hint:
            console.write_line(hint.encode("utf-8"))
    stream.close()


# --- Processes -----------------------------------------------------------------------------------------------------


def reaped_children() -> Iterator[Tuple[int, int]]:
    """Every child that has exited, as (pid, wait status). As a container's PID 1 the agent also inherits and
    reaps the server's orphans, so zombies never pile up."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


class Server:
    """The inference server's process tree, in its own session so one killpg ends master, workers and a debugpy
    adapter alike. Its exit is recorded by the agent's reaper (`exited`), not by Popen."""

    def __init__(self, command: Sequence[str], console: Console, log: ServerLog):
        environment = dict(os.environ)
        # Unbuffered: the traceback must reach the log before the exit is noticed. No bytecode cache: a save within
        # the same second and of the same size as the previous one would otherwise load the stale .pyc.
        environment.setdefault("PYTHONUNBUFFERED", "1")
        environment.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        self.process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, start_new_session=True
        )
        self.pid = self.process.pid
        self.exit_code: Optional[int] = None
        self._relay = threading.Thread(target=relay, args=(self.process.stdout, console, log), daemon=True)
        self._relay.start()

    def exited(self, wait_status: int) -> None:
        self.exit_code = exit_code_of(wait_status)
        self.process.returncode = self.exit_code

    def send(self, signum: int) -> None:
        if self.exit_code is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill_all(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def finish(self) -> None:
        """After the master exited: end anything it left behind and let its last output reach the log."""
        self.kill_all()
        self._relay.join(OUTPUT_DRAIN_SECONDS)


# --- HTTP: readiness probe and the 503 fallback ---------------------------------------------------------------


SECRET_ENV = "LOCALEP_UPSTREAM_SECRET"
SECRET_HEADER = "X-Localep-Upstream-Secret"


def secret_headers() -> Dict[str, str]:
    secret = os.environ.get(SECRET_ENV)
    return {SECRET_HEADER: secret} if secret else {}


def answers_ok(port: int, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """GET / (the liveness route); http.client rather than urllib so proxy variables never apply."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/", headers=secret_headers())
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class Probe:
    """Polls GET / from a thread, because it blocks while init() runs, until it answers 200 at a moment
    `may_answer()` allows (for a reload: once the old workers are gone)."""

    def __init__(self, port: int, may_answer: Callable[[], bool]):
        self.answered = threading.Event()
        self._cancelled = threading.Event()
        self._port = port
        self._may_answer = may_answer
        threading.Thread(target=self._run, daemon=True).start()

    def cancel(self) -> None:
        self._cancelled.set()

    def _run(self) -> None:
        while not self._cancelled.is_set():
            if self._may_answer() and answers_ok(self._port):
                self.answered.set()
                return
            self._cancelled.wait(POLL_SECONDS)


# Tells localep's gateway this 503 is the deployment being unavailable (answered as is, like the cloud does for a
# deployment that is not ready), not the scoring script answering 503 (which the cloud turns into a 424).
UNAVAILABLE_HEADER = "X-Localep-Unavailable"


class _UnavailableHandler(BaseHTTPRequestHandler):
    server: FallbackServer

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Every HTTP method (`do_GET`, `do_POST`, ...) gets the same 503."""
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > 0:
            self.rfile.read(length)
        secret = os.environ.get(SECRET_ENV, "")
        if secret and not hmac.compare_digest(self.headers.get(SECRET_HEADER, "").encode("latin-1"), secret.encode()):
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        body = self.server.body
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header(UNAVAILABLE_HEADER, "code-failed-to-load")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the 503s are the agent's, not the server's, and would only bury the traceback."""


class FallbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, body: bytes):
        self.body = body
        super().__init__((host, port), _UnavailableHandler)

    def server_bind(self) -> None:
        """Skips HTTPServer's reverse DNS lookup of the bound name, which can hang in a container without DNS."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


def serve_unavailable(host: str, port: int, body: bytes) -> FallbackServer:
    """Answer 503 on the server's port; retries the bind briefly while the dead server's socket is released."""
    deadline = time.monotonic() + BIND_RETRY_SECONDS
    while True:
        try:
            server = FallbackServer(host, port, body)
            break
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(POLL_SECONDS)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True).start()
    return server


# --- The supervisor -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    port: int
    host: str
    keep_alive: bool
    stop_timeout: float
    command: Tuple[str, ...]
    collect: Optional[str] = None  # data collection receiver settings (JSON), see datacollect/receiver.py


STARTING, SERVING, RELOADING, FAILED = "starting", "serving", "reloading", "failed"


class Agent:
    """One server at a time, in one of four phases: STARTING (not answered yet), SERVING, RELOADING (SIGHUP
    forwarded, waiting for a new worker) and FAILED (the server is gone, the 503 fallback answers).

    Signal handlers only queue the signal; the main loop acts on it, so no state changes inside a handler."""

    def __init__(self, options: Options, console: Console):
        self.options = options
        self.console = console
        self.log = ServerLog(hints=Hints(no_egress=os.environ.get(NO_EGRESS_VARIABLE) == "1"))
        self.signals: Deque[int] = collections.deque()
        self.phase = STARTING
        self.server: Optional[Server] = None
        self.fallback: Optional[FallbackServer] = None
        self.probe: Optional[Probe] = None
        self.ever_ready = False
        self.announce_reloaded = False
        self.restart_on_exit = False
        self.ended_for_boot_failure = False
        self.log_mark = 0

    def run(self) -> int:
        for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda received, _frame: self.signals.append(received))
        try:
            self._start_server()
        except OSError as error:
            self.console.status(AgentStatus(agentstatus.CANNOT_START, subject=self.options.command[0], reason=str(error)))
            return EXEC_FAILED
        while True:
            self._reap()
            if self.server is not None and self.server.exit_code is not None:
                exit_code = self._server_exited(self.server)
                if exit_code is not None:
                    return exit_code
            while self.signals:
                received = self.signals.popleft()
                if received != signal.SIGHUP:
                    return self._stop(received)
                self._reload()
            if self.probe is not None and self.probe.answered.is_set():
                self._answered()
            if self.server is not None and self.ever_ready and self.log.boot_failed_since(self.log_mark):
                # The code is broken and the server is on its way out: end it now, so the 503 answers from the
                # first request after the save instead of connections hanging on a dying master.
                self.server.kill_all()
                self.ended_for_boot_failure = True
            time.sleep(POLL_SECONDS)

    def _reap(self) -> None:
        for pid, status in reaped_children():
            if self.server is not None and pid == self.server.pid:
                self.server.exited(status)

    def _watch(self, phase: str, may_answer: Callable[[], bool]) -> None:
        if self.probe is not None:
            self.probe.cancel()
        self.phase = phase
        self.probe = Probe(self.options.port, may_answer)

    def _start_server(self) -> None:
        self.log_mark = self.log.mark()
        self.server = Server(self.options.command, self.console, self.log)
        self.restart_on_exit = False
        self._watch(STARTING, lambda: True)

    def _answered(self) -> None:
        self.probe = None
        if self.phase == STARTING:
            self.ever_ready = True
            self.console.status(AgentStatus(agentstatus.READY))
        if self.phase == RELOADING or self.announce_reloaded:
            self.console.status(AgentStatus(agentstatus.RELOADED))
        self.announce_reloaded = False
        self.restart_on_exit = False
        self.phase = SERVING

    def _reload(self) -> None:
        self.console.status(AgentStatus(agentstatus.RELOADING))
        self.log_mark = self.log.mark()
        if self.phase in (SERVING, RELOADING) and self.server is not None:
            self.restart_on_exit = self.phase == RELOADING
            old_workers = {pid for pid in self.log.workers() if processes.process_alive(pid)}
            self.server.send(signal.SIGHUP)
            self._watch(RELOADING, lambda: not any(processes.process_alive(pid) for pid in old_workers))
            return
        if self.server is not None:
            # Still starting: the server may not handle SIGHUP yet, and SIGHUP's default action kills it.
            self._stop_server(signal.SIGTERM)
        self._stop_fallback()
        self.announce_reloaded = True
        self._start_server()

    def _server_exited(self, server: Server) -> Optional[int]:
        self.server = None
        if self.probe is not None:
            self.probe.cancel()
            self.probe = None
        server.finish()
        exit_code = server.exit_code if server.exit_code is not None else 0
        if self.ended_for_boot_failure:
            exit_code, self.ended_for_boot_failure = GUNICORN_BOOT_ERROR, False
        if not self.ever_ready and not self.options.keep_alive:
            self.console.status(AgentStatus(agentstatus.SERVER_EXITED, exit_code=exit_code))
            return exit_code
        self.phase = FAILED
        self.announce_reloaded = False
        body = unavailable_body(tracebacks.describe_failure(self.log.lines_since(self.log_mark)), exit_code)
        try:
            self.fallback = serve_unavailable(self.options.host, self.options.port, body)
        except OSError as error:
            self.console.status(AgentStatus(agentstatus.CANNOT_SERVE, subject=str(self.options.port), reason=str(error)))
        self.console.status(AgentStatus(agentstatus.SERVER_EXITED, exit_code=exit_code, serving_503=True))
        if self.restart_on_exit:
            # A save arrived while the failing reload was under way: its code may be good, so try it now.
            self.signals.append(signal.SIGHUP)
        return None

    def _stop_server(self, signum: int) -> None:
        server = self.server
        if server is None:
            return
        server.send(signum)
        deadline = time.monotonic() + self.options.stop_timeout
        while server.exit_code is None and time.monotonic() < deadline:
            self._reap()
            time.sleep(POLL_SECONDS / 5)
        if server.exit_code is None:
            server.kill_all()
            while server.exit_code is None:
                self._reap()
                time.sleep(POLL_SECONDS / 5)
        server.finish()
        self.server = None

    def _stop_fallback(self) -> None:
        if self.fallback is not None:
            self.fallback.shutdown()
            self.fallback.server_close()
            self.fallback = None

    def _stop(self, signum: int) -> int:
        if self.probe is not None:
            self.probe.cancel()
        self._stop_server(signum)
        self._stop_fallback()
        self.console.status(AgentStatus(agentstatus.STOPPED))
        return 0


def parse_options(argv: Sequence[str]) -> Options:
    """Agent options come before `--`, the server's own argv after it."""
    parser = argparse.ArgumentParser(
        prog="agent.py",
        description="Supervise the inference server: relay its output, report readiness, reload on SIGHUP, "
        "answer 503 while its code is broken.",
        epilog="example: agent.py --port 5001 -- python -m azureml_inference_server_http --entry_script score.py",
    )
    parser.add_argument("--port", type=int, required=True, help="port the server listens on")
    parser.add_argument("--host", default="0.0.0.0", help="address the 503 fallback binds (default: %(default)s)")
    parser.add_argument(
        "--keep-alive", action="store_true", help="serve 503 instead of exiting when the server never answered"
    )
    parser.add_argument(
        "--stop-timeout", type=float, default=5.0, help="seconds to wait on SIGTERM before SIGKILL (default: 5)"
    )
    parser.add_argument("--collect", help="run the data collection receiver with these settings (JSON)")
    if "--" not in argv:
        parser.error("give the server command after --")
    split = list(argv).index("--")
    namespace = parser.parse_args(list(argv[:split]))
    command = tuple(argv[split + 1 :])
    if not command:
        parser.error("the server command after -- is empty")
    return Options(
        port=namespace.port,
        host=namespace.host,
        keep_alive=namespace.keep_alive,
        stop_timeout=namespace.stop_timeout,
        command=command,
        collect=namespace.collect,
    )


def start_collecting(settings: str) -> None:
    """Before the server starts: azureml-ai-monitoring reads its config file when score.py makes a Collector."""
    try:
        from localep.datacollect.receiver import start_receiver  # on the host (tests)
    except ImportError:  # in the container: mounted beside this file
        from datacollect_receiver import start_receiver  # type: ignore[import-not-found,no-redef]
    start_receiver(settings)


def main(argv: Optional[Sequence[str]] = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    console = Console(sys.stdout.buffer)
    if os.environ.get(NO_EGRESS_VARIABLE) == "1":
        console.write_line(f"localep-agent: {cut_egress()}".encode())
    if options.collect:
        start_collecting(options.collect)
    return Agent(options, console).run()


if __name__ == "__main__":
    sys.exit(main())
