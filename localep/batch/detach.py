"""Running a job in the background: a new session runs the same command, and the job record says how it goes.

The caller learns the job's name at once; a job that cannot even start (output folder taken, Docker down)
reports its error here, from the runner's log, instead of vanishing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from localep.batch.job import JobOverrides
from localep.batch.jobs import RUNNER_LOG, JobRecord, job_dir, read_job
from localep.errors import LocalepError
from localep.exitcodes import ExitCode
from localep.fileio import open_append
from localep.images.settings import DEFAULT_INSTALLER

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
    log_path = folder / RUNNER_LOG
    with open_append(log_path, private=True) as log:
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


def detach_job(argv: Sequence[str], name: str, input_text: str, output_dir: Optional[Path] = None,
               overrides: Sequence[str] = (), job: Optional[JobOverrides] = None, overwrite: bool = False,
               rebuild: bool = False, pull: str = "missing", ca_bundle: Optional[Path] = None,
               installer: str = DEFAULT_INSTALLER) -> JobRecord:
    """Start `localep batch <argv>` as job `name` in the background; returns its first record at once."""
    job = job or JobOverrides()
    child = [sys.executable, "-m", "localep", "batch", *argv, "--job-name", name, "--input", input_text]
    if output_dir is not None:
        child += ["--output", str(output_dir.resolve())]
    if overwrite:
        child.append("--overwrite")
    if rebuild:
        child.append("--rebuild")
    for override in overrides:
        child += ["--set", override]
    settings = {"mini_batch_size": job.mini_batch_size, "instance_count": job.instance_count,
                "output_file_name": job.output_file_name, "error_threshold": job.error_threshold,
                "ca_bundle": ca_bundle}
    for key, value in settings.items():
        if value is not None:
            child += [f"--{key.replace('_', '-')}", str(value)]
    child += ["--pull", pull, "--installer", installer]
    return start_detached(child, name)
