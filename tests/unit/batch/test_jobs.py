"""Batch job records round-trip through their file."""

from __future__ import annotations

from localep.batch.jobs import JobRecord, JobStatus, list_jobs, read_job, write_job
from localep.batch.scheduler import Counts


def test_job_records_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path))
    record = JobRecord(name="batch-e-1", endpoint="e", deployment="d", deployment_file="/d.yml", input="x", output="/o")
    write_job(record)
    record.status = JobStatus.CANCELED
    record.counts = Counts(items=4, items_succeeded=3)
    write_job(record)
    again = read_job("batch-e-1")
    assert again == record and again.status is JobStatus.CANCELED
    assert [job.name for job in list_jobs()] == ["batch-e-1"]
    assert read_job("nope") is None

