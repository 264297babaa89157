"""Running a job in the background: a new session runs the same command, and the job record says how it goes.

The caller learns the job's name at once; a job that cannot even start (output folder taken, Docker down)
reports its error here, from the runner's log, instead of vanishing.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Sequence

from localep.batch.jobs import RUNNER_LOG, JobRecord, job_dir, read_job
from localep.errors import LocalepError
from localep.exitcodes import ExitCode

RECORD_WAIT_SECONDS = 30.0


class RunnerFailed(LocalepError):
    def __init__(self, message: str, exit_code: ExitCode, detail: str):
        super().__init__(message, detail=detail)
        self.exit_code = exit_code


def _exit_code(code: int) -> ExitCode:
    try:
        return ExitCode(code)
    except ValueError:
        return ExitCode.ERROR


def start_detached(argv: Sequence[str], job_name: str) -> JobRecord:
    """Start `argv` (a job runner that writes job `job_name`'s record) detached; return its first record."""
    folder = job_dir(job_name)
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / RUNNER_LOG
    with open(log_path, "ab") as log:
        runner = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while time.monotonic() < deadline:
        record = read_job(job_name)
        if record is not None:
            return record
        code = runner.poll()
        if code is not None:
            output = log_path.read_text(encoding="utf-8", errors="replace").strip()
            raise RunnerFailed(f"the batch job {job_name} did not start (exit {code})", _exit_code(code), output)
        time.sleep(0.05)
    raise LocalepError(f"the batch job {job_name} wrote no record within {RECORD_WAIT_SECONDS:.0f}s; see {log_path}")
