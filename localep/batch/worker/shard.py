"""localep's batch driver for one pod of a Kubernetes Indexed Job (standard library only, never imports localep).

Pod INDEX of COUNT scores every COUNT-th input file (sorted, from the INDEX-th on) with WORKERS worker processes
(batch_worker.py `work`, the same worker `localep batch run` uses), and the last pod to finish writes the job's
predictions file from every pod's rows:

    python shard.py --input DIR --output DIR --count N --workers W --script PATH --code DIR
                    [--mini-batch-size 10] [--output-action append_row] [--output-file-name predictions.csv]
                    [--max-retries 3] [--timeout 30] [--error-threshold -1] [--logging-level info]
    (the pod index is $JOB_COMPLETION_INDEX, which Kubernetes sets in Indexed Jobs)

Written on the shared output volume, as `localep batch run` lays it out:
    <output_file_name>                                   every pod's rows, once the last pod is done (append_row)
    INCOMPLETE.txt                                       instead, when the job failed: why
    logs/job_result.txt                                  the outcome and counts, once the last pod is done
    logs/user/stdout/instance-<i+1>/processNNN.stdout.txt and logs/user/stderr/... (what the script printed)
    logs/user/error/instance-<i+1>/processNNN.txt        the traceback of each failed try
    logs/sys/parts/                                      each pod's rows and counts (the merge reads them)
A mini-batch gets `max-retries` run() calls in all; a run() past `timeout` seconds has its process killed and
replaced. Exit codes as `localep batch`: 0, 11 (error threshold exceeded), 12 (no item succeeded), 72 (init failed
in every worker of this pod).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from typing import IO, Any, Dict, List, Optional, Tuple

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "batch_worker.py")
INDEX_VARIABLE = "JOB_COMPLETION_INDEX"
EXIT_THRESHOLD, EXIT_NO_SUCCESS, EXIT_INIT_FAILED = 11, 12, 72


def instance_name(index: int) -> str:
    return f"instance-{index + 1}"


def my_files(folder: str, index: int, count: int) -> List[str]:
    """Every file below `folder` in a stable order, then every COUNT-th from the INDEX-th on."""
    found: List[str] = []
    for parent, dirs, names in os.walk(folder):
        dirs.sort()
        found += [os.path.join(parent, name) for name in sorted(names)]
    return [path for position, path in enumerate(p for p in found if os.path.isfile(p)) if position % count == index]


def private_file(path: str, mode: str = "ab") -> IO[bytes]:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), mode)


class Process:
    """One worker process and its channel (a socket pair instead of the supervisor's TCP connection)."""

    def __init__(self, args: argparse.Namespace, index: int, number: int):
        self.args, self.number = args, number
        self.name = f"process{number:03d}"
        self.logs = os.path.join(args.output, "logs", "user")
        self.instance = instance_name(index)
        self.child: Optional[subprocess.Popen] = None
        self.sock: Optional[socket.socket] = None

    def start(self) -> Optional[str]:
        """None once init() succeeded, else its traceback."""
        ours, theirs = socket.socketpair()
        stdout = private_file(os.path.join(self.logs, "stdout", self.instance, f"{self.name}.stdout.txt"))
        stderr = private_file(os.path.join(self.logs, "stderr", self.instance, f"{self.name}.stderr.txt"))
        with stdout, stderr:
            self.child = subprocess.Popen([sys.executable, WORKER_SCRIPT, "work", "--fd", str(theirs.fileno())],
                                          pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=stdout,
                                          stderr=stderr, start_new_session=True)
        theirs.close()
        self.sock = ours
        self.reader = ours.makefile("rb")
        self._read()  # hello
        self._send({"op": "init", "script": self.args.script, "code": self.args.code,
                    "output_action": self.args.output_action, "logging_level": self.args.logging_level,
                    "process": self.name})
        answer = self._read()
        if answer.get("event") == "ready":
            return None
        self.kill()
        return str(answer.get("error", "the worker exited during init()"))

    def run(self, task: int, files: List[str]) -> Dict[str, Any]:
        """The worker's answer, or {"event": "timeout"} after killing a run() past the timeout."""
        assert self.sock is not None
        self.sock.settimeout(self.args.timeout)
        try:
            self._send({"op": "run", "task": task, "files": files})
            return self._read()
        except (socket.timeout, OSError, ValueError):
            self.kill()
            return {"event": "timeout", "error": f"run() did not return within {self.args.timeout} s"}
        finally:
            if self.sock is not None:
                self.sock.settimeout(None)

    def stop(self) -> None:
        try:
            self._send({"op": "shutdown"})
            self._read()
        except (OSError, ValueError):
            pass
        self.kill()

    def kill(self) -> None:
        if self.child is not None and self.child.poll() is None:
            try:
                os.killpg(self.child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.child is not None:
            self.child.wait()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _send(self, message: Dict[str, Any]) -> None:
        assert self.sock is not None
        self.sock.sendall(json.dumps(message).encode("utf-8") + b"\n")

    def _read(self) -> Dict[str, Any]:
        line = self.reader.readline()
        if not line:
            return {"event": "exited"}
        return json.loads(line.decode("utf-8"))


class Pod:
    """This pod's share: a queue of mini-batches, one thread per worker slot, counts under one lock."""

    def __init__(self, args: argparse.Namespace, index: int):
        self.args, self.index = args, index
        self.parts = os.path.join(args.output, "logs", "sys", "parts")
        self.lock = threading.Lock()
        self.counts = {"items": 0, "succeeded": 0, "failed": 0, "init_failed": 0}
        self.work: queue.Queue[Tuple[int, List[str], int]] = queue.Queue()
        self.rows = private_file(os.path.join(self.parts, f"rows.{index}.partial"), "wb")

    def score(self, files: List[str]) -> Dict[str, int]:
        size = self.args.mini_batch_size
        for task, start in enumerate(range(0, len(files), size)):
            self.work.put((task, files[start:start + size], 1))
        self.counts["items"] = len(files)
        self.pending = self.work.qsize()
        threads = [threading.Thread(target=self._slot, args=(number,)) for number in range(1, self.args.workers + 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        while not self.work.empty():  # every worker failed init(): what is left was never scored
            self.counts["failed"] += len(self.work.get_nowait()[1])
        self.rows.close()
        os.replace(os.path.join(self.parts, f"rows.{self.index}.partial"), os.path.join(self.parts, f"rows.{self.index}"))
        return self.counts

    def _slot(self, number: int) -> None:
        process = Process(self.args, self.index, number)
        if self._failed_init(process, process.start()):
            return
        while True:
            try:
                task, files, attempt = self.work.get(timeout=0.1)
            except queue.Empty:
                if self.pending == 0:  # nothing queued and nothing in flight that could come back for a retry
                    process.stop()
                    return
                continue
            answer = process.run(task, files)
            if answer.get("event") == "done":
                self._done(files, answer)
                continue
            self._failed(process, files, answer, task, attempt)
            if answer.get("event") != "failed" and self._failed_init(process, process.start()):
                return

    def _done(self, files: List[str], answer: Dict[str, Any]) -> None:
        with self.lock:
            done = min(int(answer["count"]), len(files))
            self.counts["succeeded"] += done
            self.counts["failed"] += len(files) - done
            self.rows.write(str(answer.get("rows", "")).encode("utf-8"))
            self.rows.flush()
            self.pending -= 1

    def _failed(self, process: Process, files: List[str], answer: Dict[str, Any], task: int, attempt: int) -> None:
        path = os.path.join(process.logs, "error", process.instance, f"{process.name}.txt")
        with self.lock, private_file(path) as log:
            log.write(f"mini-batch {task} try {attempt}: {answer.get('error', answer.get('event'))}\n".encode())
            if attempt < self.args.max_retries:
                self.work.put((task, files, attempt + 1))
            else:
                self.counts["failed"] += len(files)
                self.pending -= 1

    def _failed_init(self, process: Process, error: Optional[str]) -> bool:
        if error is None:
            return False
        path = os.path.join(process.logs, "error", process.instance, f"{process.name}.txt")
        with self.lock, private_file(path) as log:
            log.write(f"init() failed:\n{error}\n".encode())
            self.counts["init_failed"] += 1
        return True


def merge_if_last(args: argparse.Namespace) -> Optional[int]:
    """Once every pod's counts are there, the job's files and exit code; None while pods are still running. Two pods
    finishing together both merge the same parts: each file is replaced whole, so either result is the same."""
    parts = os.path.join(args.output, "logs", "sys", "parts")
    counts = []
    for index in range(args.count):
        path = os.path.join(parts, f"result.{index}.json")
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            counts.append(json.load(handle))
    total = {key: sum(c[key] for c in counts) for key in ("items", "succeeded", "failed")}
    code = 0
    if args.error_threshold != -1 and total["failed"] > args.error_threshold:
        code, reason = EXIT_THRESHOLD, f"{total['failed']} failed items exceed error_threshold {args.error_threshold}"
    elif total["succeeded"] == 0 and total["items"]:
        code, reason = EXIT_NO_SUCCESS, "no item succeeded"
    _replace(os.path.join(args.output, "logs", "job_result.txt"),
             json.dumps({"status": "Completed" if code == 0 else "Failed", **total}, sort_keys=True) + "\n")
    if code:
        _replace(os.path.join(args.output, "INCOMPLETE.txt"), f"the job failed: {reason}\n")
    elif args.output_action == "append_row":
        rows = []
        for index in range(args.count):
            with open(os.path.join(parts, f"rows.{index}"), encoding="utf-8") as handle:
                rows.append(handle.read())
        _replace(os.path.join(args.output, args.output_file_name), "".join(rows))
    return code


def _replace(path: str, text: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with private_file(temporary, "wb") as handle:
        handle.write(text.encode("utf-8"))
    os.replace(temporary, path)


def arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shard.py")
    for name in ("--input", "--output", "--script", "--code"):
        parser.add_argument(name, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mini-batch-size", type=int, default=10)
    parser.add_argument("--output-action", default="append_row", choices=("append_row", "summary_only"))
    parser.add_argument("--output-file-name", default="predictions.csv")
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--error-threshold", type=int, default=-1)
    parser.add_argument("--logging-level", default="info")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = arguments(argv)
    index = int(os.environ.get(INDEX_VARIABLE, "0"))
    os.environ.setdefault("AZUREML_BI_OUTPUT_PATH", args.output)
    counts = Pod(args, index).score(my_files(args.input, index, args.count))
    print(f"localep-batch: {instance_name(index)} of {args.count}: {json.dumps(counts, sort_keys=True)}", flush=True)
    _replace(os.path.join(args.output, "logs", "sys", "parts", f"result.{index}.json"), json.dumps(counts))
    if counts["init_failed"] >= args.workers:
        return EXIT_INIT_FAILED
    code = merge_if_last(args)
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
