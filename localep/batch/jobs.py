"""Batch job records: `$LOCALEP_HOME/jobs/<job name>/job.json`, the one typed place any process reads a job from.

The runner rewrites the record (atomically) as the job goes, so `localep batch` and `az ml job show|list|stream|
cancel` style commands read status, counts and the output folder from it; cancel is SIGTERM to `pid`.
"""

from __future__ import annotations

import datetime
import enum
import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep.batch.scheduler import Counts
from localep.fileio import atomic_write_json
from localep.jsonfile import read_json_or_none
from localep.paths import home
from localep.processes import process_alive

RECORD_FILE = "job.json"
RUNNER_LOG = "runner.log"  # the detached runner's stdout and stderr


class JobStatus(str, enum.Enum):
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


@dataclass
class JobRecord:
    name: str
    endpoint: str
    deployment: str
    deployment_file: str
    input: str
    output: str
    status: JobStatus = JobStatus.RUNNING
    pid: int = field(default_factory=os.getpid)
    start_time: str = field(default_factory=lambda: now_iso())
    end_time: Optional[str] = None
    counts: Counts = field(default_factory=Counts)
    error: Optional[str] = None
    exit_code: Optional[int] = None
    predictions: Optional[str] = None  # the output file, once the job completed with append_row
    output_file_name: str = "predictions.csv"

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> JobRecord:
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["status"] = JobStatus(values.get("status", JobStatus.RUNNING.value))
        counted = {item.name for item in fields(Counts)}
        values["counts"] = Counts(**{key: value for key, value in (values.get("counts") or {}).items() if key in counted})
        return cls(**values)


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def jobs_root() -> Path:
    return home() / "jobs"


def job_dir(name: str) -> Path:
    return jobs_root() / name


def new_job_name(endpoint: str) -> str:
    """`batch-<endpoint>-<8 hex>`: unique without a counter, readable in `docker ps`."""
    return f"batch-{endpoint}-{secrets.token_hex(4)}"


def write_job(record: JobRecord) -> Path:
    path = job_dir(record.name) / RECORD_FILE
    atomic_write_json(path, record.to_dict(), private=True)
    return path


def read_job(name: str) -> Optional[JobRecord]:
    data = read_json_or_none(job_dir(name) / RECORD_FILE)
    try:
        return JobRecord.from_dict(data) if data is not None else None
    except (ValueError, TypeError):
        return None


def list_jobs() -> List[JobRecord]:
    root = jobs_root()
    records = [read_job(folder.name) for folder in sorted(root.iterdir())] if root.is_dir() else []
    return sorted((record for record in records if record is not None), key=lambda record: record.start_time)


def runner_alive(record: JobRecord) -> bool:
    """Whether a Running record's runner still exists (a killed runner cannot record its own end)."""
    return process_alive(record.pid)
