"""Jobs whose runner died without cleaning up (SIGKILL, a crash of the host process): their containers are removed
and their records closed as Failed, the next time a batch job starts with the same $LOCALEP_HOME.

Only jobs recorded in this $LOCALEP_HOME are touched: the engine may be shared with other homes and other users.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import docker
from docker.models.containers import Container

from localep.batch import layout as output
from localep.batch.jobs import JobStatus, now_iso, read_job, runner_alive, write_job
from localep.progress import Reporter
from localep.runtime import containers, labels


def reap_orphaned_jobs(client: docker.DockerClient, reporter: Reporter) -> List[str]:
    """The names of the jobs whose leftovers were removed."""
    found = client.containers.list(all=True, filters={"label": [labels.BATCH_JOB]})
    by_job: Dict[str, List[Container]] = {}
    for container in found:
        by_job.setdefault(container.labels.get(labels.BATCH_JOB, ""), []).append(container)
    reaped = []
    for name, leftovers in sorted(by_job.items()):
        record = read_job(name)
        if record is None or record.status is not JobStatus.RUNNING or runner_alive(record):
            continue
        for container in leftovers:
            containers.remove_quietly(container)
        record.status, record.end_time = JobStatus.FAILED, now_iso()
        record.error = (f"the runner (pid {record.pid}) ended without finishing the job; localep removed its "
                        f"{len(leftovers)} container(s) later")
        write_job(record)
        layout = output.OutputLayout(Path(record.output), record.output_file_name, "")
        if layout.root.is_dir():
            output.mark_incomplete(layout, record.status.value, record.error, record.counts.mini_batches_done,
                                   record.counts.mini_batches)
        reporter.warn(f"job {name}: {record.error}")
        reaped.append(name)
    return reaped
