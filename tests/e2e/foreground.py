"""`localep up` in the foreground, as a user runs it while editing: the dev loop's tests drive it."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional

import requests

SAMPLE = b'{"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]}'


class ForegroundUp:
    """`localep up` running in the foreground as a user would have it, with its stderr collected."""

    def __init__(self, cli, deployment: Path, *extra: str):
        self.process: subprocess.Popen = cli.popen("up", str(deployment), *extra)
        self.stderr: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        line = self.process.stdout.readline().decode().strip()
        assert line.startswith("http://"), f"up did not come up: {line!r}\n{self.log()}"
        self.uri = line
        self.key = cli.json("keys", deployment.parent.joinpath("name").read_text())["primary"]

    def _read(self) -> None:
        for raw in self.process.stderr:
            self.stderr.append(raw.decode(errors="replace"))

    def log(self) -> str:
        return "".join(self.stderr)

    def score(self, body: bytes = SAMPLE) -> requests.Response:
        return requests.post(self.uri, data=body, headers={"Authorization": f"Bearer {self.key}",
                                                             "Content-Type": "application/json"}, timeout=10)

    def wait_for(self, predicate, seconds: float = 20.0, body: bytes = SAMPLE) -> requests.Response:
        deadline = time.monotonic() + seconds
        last: Optional[requests.Response] = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"up exited:\n{self.log()}"
            last = self.score(body)
            if predicate(last):
                return last
            time.sleep(0.05)
        raise AssertionError(f"no matching answer in {seconds}s; last {last.status_code if last else None} "
                             f"{last.text if last else ''}\n{self.log()}")

    def wait_log(self, text: str, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.log():
            assert time.monotonic() < deadline, f"{text!r} never appeared in the log:\n{self.log()}"
            time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)
        return self.process.returncode
