"""localep's in-container batch driver: one supervisor per container, one worker process per scoring slot.

Bind-mounted read-only and run with the environment's own Python (standard library only, never imports localep),
it plays the part of the cloud's ParallelRunStep driver on one node:

    python /opt/localep/batch_worker.py supervise --port 5002

The host (localep.batch.channel) opens one TCP connection per worker it wants. The first line on a connection
is a JSON request with the job's token (LOCALEP_BATCH_TOKEN):

    {"token": T, "op": "worker", "stdout": PATH, "stderr": PATH}
        The supervisor starts a fresh worker process that owns this connection, with its stdout and stderr
        appended to PATH (the cloud's logs/user/stdout/<node>/processNNN.stdout.txt and stderr). The connection
        is the worker's channel from then on. If the worker cannot be started (say, PATH is not writable), the
        supervisor answers {"error": REASON} and closes the connection.
    {"token": T, "op": "kill", "pid": N}
        The supervisor kills worker N and its process group (a run() past retry_settings.timeout) and answers
        {"killed": true|false}.

Worker channel, one JSON object per line. The worker speaks first:
    worker: {"event": "hello", "pid": N}
    host:   {"op": "init", "script": PATH, "code": DIR, "output_action": "append_row"|"summary_only",
             "logging_level": "info", "process": "process001"}
    worker: {"event": "ready"} | {"event": "init_failed", "error": TRACEBACK}   (init_failed: the worker exits)
    host:   {"op": "run", "task": ID, "files": [PATH, ...]}
    worker: {"event": "done", "task": ID, "count": N, "rows": TEXT, "seconds": S}
          | {"event": "failed", "task": ID, "error": TRACEBACK, "seconds": S}
    host:   {"op": "shutdown"}
    worker: {"event": "bye"}   (after the script's optional shutdown())

`count` is len() of what run() returned; `rows` is what append_row writes for it, exactly as the cloud does:
a list gives one str(item) per line, a pandas DataFrame `to_csv(header=None, index=None, sep=" ")`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from typing import IO, Any, Dict, Optional, Sequence, Tuple

TOKEN_VARIABLE = "LOCALEP_BATCH_TOKEN"
NOT_LIST_OR_DATAFRAME = "The type of return value is not a list or dataframe"


def send(sock: socket.socket, message: Dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode("utf-8") + b"\n")


def private_log(path: str) -> IO[bytes]:
    """A worker's log, appended to; created owner-only (0600, in 0700 folders): it holds what the script printed."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab")


def read_message(reader: Any) -> Optional[Dict[str, Any]]:
    line = reader.readline()
    if not line:
        return None
    return json.loads(line.decode("utf-8"))


# --- supervisor -------------------------------------------------------------------------------------------------


class Supervisor:
    def __init__(self, port: int, token: str):
        self.port = port
        self.token = token
        self.children: Dict[int, subprocess.Popen] = {}
        self.stopping = False

    def serve(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", self.port))
        listener.listen(64)
        listener.settimeout(0.5)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        print(f"localep-batch: supervisor listening on {self.port}", flush=True)
        while not self.stopping:
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                self._reap()
                continue
            except OSError:
                if self.stopping:
                    break
                raise
            try:
                self._handle(connection)
            except (OSError, ValueError) as error:
                print(f"localep-batch: cannot serve a request: {error}", flush=True)
                try:
                    send(connection, {"error": str(error)})
                except OSError:
                    pass
            finally:
                connection.close()
            self._reap()
        for pid in list(self.children):
            self._kill(pid)
        return 0

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        line = b""
        while not line.endswith(b"\n"):
            chunk = connection.recv(1)
            if not chunk:
                return
            line += chunk
        request = json.loads(line.decode("utf-8"))
        if request.get("token") != self.token:
            return
        connection.settimeout(None)
        if request.get("op") == "worker":
            self._start_worker(connection, request)
        elif request.get("op") == "kill":
            send(connection, {"killed": self._kill(int(request["pid"]))})

    def _start_worker(self, connection: socket.socket, request: Dict[str, Any]) -> None:
        with private_log(request["stdout"]) as stdout, private_log(request["stderr"]) as stderr:
            child = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "work", "--fd", str(connection.fileno())],
                pass_fds=[connection.fileno()], stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                start_new_session=True,
            )
        self.children[child.pid] = child

    def _kill(self, pid: int) -> bool:
        child = self.children.pop(pid, None)
        if child is None:
            return False
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
        return True

    def _reap(self) -> None:
        for pid, child in list(self.children.items()):
            if child.poll() is not None:
                del self.children[pid]


# --- worker -----------------------------------------------------------------------------------------------------


def _load_script(path: str) -> Any:
    folder, file_name = os.path.split(path)
    module_name = os.path.splitext(file_name)[0]
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the scoring script {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _is_dataframe(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.split(".")[0] == "pandas"


def _result_rows(result: Any, output_action: str) -> Tuple[int, str]:
    """How many items run() reports done, and the text append_row writes for them."""
    if output_action == "append_row":
        if _is_dataframe(result):
            return len(result), result.to_csv(header=None, index=None, sep=" ")
        if isinstance(result, list):
            return len(result), "".join(f"{item}\n" for item in result)
        raise TypeError(f"{NOT_LIST_OR_DATAFRAME}: run() returned {type(result).__name__}")
    if result is None:
        raise TypeError("run() returned None; with summary_only it must return what it processed "
                        "(a list or DataFrame; its length counts as the successful items)")
    if hasattr(result, "__len__"):
        return len(result), ""
    if hasattr(result, "__iter__"):
        return sum(1 for _ in result), ""
    raise TypeError(f"run() returned {type(result).__name__}, which has no length to count as successful items")


def _formatted_error() -> str:
    """The current exception's traceback from the user's first frame on (the driver's own frames say nothing)."""
    kind, value, frames = sys.exc_info()
    while frames is not None and (frames.tb_frame.f_code.co_filename == os.path.abspath(__file__)
                                  or frames.tb_frame.f_code.co_filename.startswith("<frozen ")):
        frames = frames.tb_next
    return "".join(traceback.format_exception(kind, value, frames))


class Worker:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.module: Any = None
        self.output_action = "append_row"

    def serve(self) -> int:
        send(self.sock, {"event": "hello", "pid": os.getpid()})
        config = read_message(self.reader)
        if config is None or config.get("op") != "init":
            return 1
        if not self._init(config):
            return 72  # the cloud's exit code for an init() failure
        while True:
            message = read_message(self.reader)
            if message is None:
                return 0
            if message.get("op") == "run":
                self._run(message)
            elif message.get("op") == "shutdown":
                self._shutdown()
                send(self.sock, {"event": "bye"})
                return 0

    def _init(self, config: Dict[str, Any]) -> bool:
        self.output_action = config["output_action"]
        level = str(config.get("logging_level", "info")).upper()
        logging.basicConfig(level=level, stream=sys.stdout,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        script = config["script"]
        sys.argv = [script, "--logging_level", level]
        os.chdir(config["code"])
        print(f"localep-batch: {config.get('process')} (pid {os.getpid()}) loading {script}", flush=True)
        try:
            self.module = _load_script(script)
            if not callable(getattr(self.module, "run", None)):
                raise AttributeError(f"the scoring script {script} defines no run(mini_batch) function")
            init = getattr(self.module, "init", None)
            if callable(init):
                init()
        except BaseException:
            error = _formatted_error()
            sys.stderr.write(error)
            sys.stderr.flush()
            send(self.sock, {"event": "init_failed", "error": error})
            return False
        sys.stdout.flush()
        send(self.sock, {"event": "ready"})
        return True

    def _run(self, message: Dict[str, Any]) -> None:
        task, files = message["task"], list(message["files"])
        started = time.monotonic()
        try:
            result = self.module.run(files)
            count, rows = _result_rows(result, self.output_action)
        except BaseException:
            error = _formatted_error()
            sys.stderr.write(error)
            sys.stderr.flush()
            send(self.sock, {"event": "failed", "task": task, "error": error,
                             "seconds": time.monotonic() - started})
            return
        finally:
            sys.stdout.flush()
        send(self.sock, {"event": "done", "task": task, "count": count, "rows": rows,
                         "seconds": time.monotonic() - started})

    def _shutdown(self) -> None:
        shutdown = getattr(self.module, "shutdown", None)
        if callable(shutdown):
            try:
                shutdown()
            except BaseException:
                sys.stderr.write(_formatted_error())
        sys.stdout.flush()
        sys.stderr.flush()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="batch_worker.py")
    commands = parser.add_subparsers(dest="command", required=True)
    supervise = commands.add_parser("supervise")
    supervise.add_argument("--port", type=int, default=5002)
    work = commands.add_parser("work")
    work.add_argument("--fd", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "supervise":
        return Supervisor(args.port, os.environ.get(TOKEN_VARIABLE, "")).serve()
    return Worker(socket.socket(fileno=args.fd)).serve()


if __name__ == "__main__":
    sys.exit(main())
