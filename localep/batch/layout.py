"""The job's output folder, laid out as the cloud's batch jobs lay it out, written only by the host runner
(the containers write their own processNNN stdout/stderr files into it).

    <output_file_name>                      rows of every successful mini-batch (append_row), once complete
    <output_file_name>.partial              the same while the job runs, and after a failed or canceled job
    INCOMPLETE.txt                          only when the job did not complete: why, and what is missing
    logs/readme.txt                         this layout
    logs/job_progress_overview.<time>.txt   progress lines while the job runs
    logs/job_result.txt                     the outcome and counts
    logs/sys/master_role.txt                scheduler events: hand-outs, retries, timeouts, replaced workers
    logs/sys/node/<instance>/processNNN.txt one line per mini-batch a process ran: files, outcome, seconds
    logs/user/stdout/<instance>/processNNN.stdout.txt, logs/user/stderr/<instance>/processNNN.stderr.txt
    logs/user/error.txt                     every failed mini-batch, one line each
    logs/user/error/<instance>/processNNN.txt  the traceback of each failed try in that process
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import List

from localep.batch.inputs import InputError
from localep.fileio import append_whole, atomic_write, make_dirs

OUTPUT_IN_CONTAINER = PurePosixPath("/mnt/batch/outputs/score")
INCOMPLETE_FILE = "INCOMPLETE.txt"
PARTIAL_SUFFIX = ".partial"


def _timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class OutputLayout:
    root: Path
    output_file_name: str
    started: str  # UTC, as in the progress overview's file name

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def predictions(self) -> Path:
        return self.root / self.output_file_name

    @property
    def partial_predictions(self) -> Path:
        return self.root / (self.output_file_name + PARTIAL_SUFFIX)

    @property
    def incomplete_marker(self) -> Path:
        return self.root / INCOMPLETE_FILE

    @property
    def progress_overview(self) -> Path:
        return self.logs / f"job_progress_overview.{self.started}.txt"

    @property
    def job_result(self) -> Path:
        return self.logs / "job_result.txt"

    @property
    def master_role(self) -> Path:
        return self.logs / "sys" / "master_role.txt"

    @property
    def error_summary(self) -> Path:
        return self.logs / "user" / "error.txt"

    def user_stream(self, stream: str, instance: str, process: str) -> Path:
        return self.logs / "user" / stream / instance / f"{process}.{stream}.txt"

    def container_user_stream(self, stream: str, instance: str, process: str) -> str:
        relative = self.user_stream(stream, instance, process).relative_to(self.root)
        return str(OUTPUT_IN_CONTAINER / relative.as_posix())

    def process_errors(self, instance: str, process: str) -> Path:
        return self.logs / "user" / "error" / instance / f"{process}.txt"

    def process_log(self, instance: str, process: str) -> Path:
        return self.logs / "sys" / "node" / instance / f"{process}.txt"

    def produced(self) -> List[Path]:
        """What an earlier job left here that this one would mix with."""
        candidates = [self.predictions, self.partial_predictions, self.incomplete_marker, self.logs]
        return [path for path in candidates if path.exists()]


def prepare_output(root: Path, output_file_name: str, overwrite: bool) -> OutputLayout:
    """The cloud refuses to overwrite an existing output file; so does localep, unless told to."""
    layout = OutputLayout(root, output_file_name, datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S"))
    if root.exists() and not root.is_dir():
        raise InputError(f"--output {root}: exists and is not a folder")
    existing = layout.produced()
    if existing and not overwrite:
        names = ", ".join(path.name for path in existing)
        raise InputError(f"--output {root} already holds the output of an earlier job ({names}): "
                         "choose another folder, or pass --overwrite to replace it")
    for path in existing:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    make_dirs(layout.logs.parent)
    for folder in ("user/stdout", "user/stderr", "user/error", "sys/node"):
        make_dirs(layout.logs / folder, private=True)  # logs hold whatever the scoring script printed
    atomic_write(layout.logs / "readme.txt", __doc__ or "", private=True)
    layout.partial_predictions.touch()
    return layout


def append(path: Path, text: str) -> None:
    """All of `text` or none of it (a full disk raises WriteFailed naming the file, which keeps only whole lines)."""
    append_whole(path, text, private=True)


def log_line(path: Path, message: str) -> None:
    append(path, f"{_timestamp()} {message}\n")


def finish_complete(layout: OutputLayout, keep_predictions: bool) -> None:
    """A completed job: the rows become the output file (summary_only writes none)."""
    if keep_predictions:
        layout.partial_predictions.replace(layout.predictions)
    else:
        layout.partial_predictions.unlink(missing_ok=True)


def mark_incomplete(layout: OutputLayout, status: str, reason: str, done: int, total: int) -> None:
    atomic_write(layout.incomplete_marker, (
        f"This output is INCOMPLETE: the job ended as {status} at {_timestamp()} UTC.\n"
        f"Reason: {reason}\n"
        f"{done} of {total} mini-batches finished. {layout.partial_predictions.name} holds the rows of the "
        "mini-batches that succeeded (if output_action is append_row); see logs/job_result.txt.\n"))
