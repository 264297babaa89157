"""A small stand-in for gunicorn running the Azure ML inference server, for the agent's tests.

    python prefork_server.py APP_DIR PORT [--ignore-sigterm]

Like gunicorn, a master holds the listening socket (127.0.0.1:PORT) and forks a worker that announces itself
("Booting worker with pid: N"), imports `score` from APP_DIR and runs `init()` before it accepts, so `GET /`
waits while init() runs. A worker that cannot import or init prints the traceback and exits 3, and the master then
exits 3 ("Worker failed to boot."), even when the worker was already told to stop (as gunicorn does).
SIGHUP makes the master fork a new worker (fresh import) and stop the old one.
Routes: `GET /` answers 200 "Healthy"; any request to /score answers 200 with `run(body)` as JSON.
`--ignore-sigterm` makes the master ignore SIGTERM, to test that the agent kills a server that will not stop.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, List, Set

WORKER_BOOT_ERROR = 3


def serve_worker(listener: socket.socket, app_dir: str) -> None:
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    # As in gunicorn, SIGTERM during boot only marks the worker to stop: a failing boot still exits 3.
    stop_requested: List[int] = []
    signal.signal(signal.SIGTERM, lambda number, _frame: stop_requested.append(number))
    print(f"Booting worker with pid: {os.getpid()}", flush=True)
    try:
        sys.path.insert(0, app_dir)
        import score

        score.init()
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(WORKER_BOOT_ERROR)
    if stop_requested:
        os._exit(0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                self._reply(b"Healthy", "text/plain")
            else:
                self._score(b"")

        def do_POST(self) -> None:
            self._score(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _score(self, body: bytes) -> None:
            self._reply(json.dumps(score.run(body.decode("utf-8"))).encode("utf-8"), "application/json")

        def _reply(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            print(f"worker {os.getpid()}: {format % args}", flush=True)

    server = HTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.serve_forever(poll_interval=0.05)


def spawn_worker(listener: socket.socket, app_dir: str) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            serve_worker(listener, app_dir)
        finally:
            os._exit(1)
    return pid


def main(argv: List[str]) -> int:
    app_dir, port = argv[0], int(argv[1])
    sys.dont_write_bytecode = True
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print(f"Listening at: http://127.0.0.1:{port} ({os.getpid()})", flush=True)

    received: List[int] = []
    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: received.append(number))
    if "--ignore-sigterm" in argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    workers: Set[int] = {spawn_worker(listener, app_dir)}
    while True:
        while received:
            signum = received.pop(0)
            if signum != signal.SIGHUP:
                return stop(workers, 0)
            old_workers = set(workers)
            workers.add(spawn_worker(listener, app_dir))
            for pid in old_workers:
                os.kill(pid, signal.SIGTERM)
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid, status = 0, 0
        if pid:
            workers.discard(pid)
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == WORKER_BOOT_ERROR:
                print("Reason: Worker failed to boot.", flush=True)
                return stop(workers, WORKER_BOOT_ERROR)
        time.sleep(0.01)


def stop(workers: Set[int], exit_code: int) -> int:
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
    for pid in workers:
        os.waitpid(pid, 0)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
