"""Everything a job needs before Docker: the per-job overrides, the input files, the output folder, the record.

`prepare_job` then `run_job` is the whole API (`localep batch run|invoke`, and any `az ml` front end, call it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import docker

from localep.batch.inputs import BatchInput
from localep.batch.jobs import JobRecord, job_dir, new_job_name
from localep.batch.layout import OutputLayout, prepare_output
from localep.batch.runner import BatchJob, JobOutcome
from localep.errors import SpecError
from localep.images.settings import BuildSettings
from localep.progress import Reporter
from localep.yamlspec.batch_model import SUMMARY_ONLY, BatchDeployment

SUMMARY_ONLY_FILE_NAME = "When output_action is set to summary_only, the output_file_name need not to be specified."


@dataclass(frozen=True)
class JobOverrides:
    """The cloud's per-job settings (`az ml batch-endpoint invoke --mini-batch-size ...`)."""

    mini_batch_size: Optional[int] = None
    instance_count: Optional[int] = None
    output_file_name: Optional[str] = None
    error_threshold: Optional[int] = None


@dataclass(frozen=True)
class PreparedJob:
    deployment: BatchDeployment
    input: BatchInput
    layout: OutputLayout
    record: JobRecord


def apply_job_overrides(deployment: BatchDeployment, overrides: JobOverrides) -> BatchDeployment:
    settings = deployment.settings
    if overrides.output_file_name is not None and settings.output_action == SUMMARY_ONLY:
        raise SpecError(f"--output-file-name: {SUMMARY_ONLY_FILE_NAME}", deployment.location(
            deployment.settings_key("output_action")))
    settings = replace(
        settings,
        mini_batch_size=overrides.mini_batch_size or settings.mini_batch_size,
        output_file_name=overrides.output_file_name or settings.output_file_name,
        error_threshold=settings.error_threshold if overrides.error_threshold is None else overrides.error_threshold,
    )
    return replace(deployment, settings=settings, instance_count=overrides.instance_count or deployment.instance_count)


def default_output(job_name: str) -> Path:
    """Where the output goes without --output: beside the job record (the cloud's output is named `score`)."""
    return job_dir(job_name) / "score"


def prepare_job(deployment: BatchDeployment, batch_input: BatchInput, output_dir: Optional[Path],
                overrides: JobOverrides, overwrite: bool = False, job_name: Optional[str] = None) -> PreparedJob:
    """The job's record and output folder (created here, so call it once Docker is known to answer)."""
    deployment = apply_job_overrides(deployment, overrides)
    name = job_name or new_job_name(deployment.endpoint_name)
    root = (output_dir or default_output(name)).expanduser().resolve()
    layout = prepare_output(root, deployment.settings.output_file_name, overwrite)
    record = JobRecord(name=name, endpoint=deployment.endpoint_name, deployment=deployment.name,
                       deployment_file=os.path.abspath(deployment.file), input=batch_input.given, output=str(root),
                       output_file_name=deployment.settings.output_file_name)
    return PreparedJob(deployment, batch_input, layout, record)


def run_job(client: docker.DockerClient, job: PreparedJob, build: BuildSettings, reporter: Reporter) -> JobOutcome:
    return BatchJob(client, job.deployment, job.input, job.layout, job.record, build, reporter).run()
