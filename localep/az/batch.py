"""`az ml batch-endpoint`, `batch-deployment` and `job`, on `localep batch`: invoke starts the same detached job
`localep batch run --detach` starts and returns its name at once; `job` reads the job's typed record."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep import registry
from localep.az import store
from localep.az.errors import AzError, AzExit, not_found
from localep.az.online import WORKSPACE_ID, confirm, environment_field, model_field
from localep.az.output import RawText
from localep.az.store import BatchDeploymentRecord, BatchEndpointRecord
from localep.batch.detach import detach_job
from localep.batch.job import JobOverrides
from localep.batch.jobs import RUNNER_LOG, JobRecord, JobStatus, job_dir, list_jobs, new_job_name, read_job, runner_alive
from localep.dockerclient import docker_client
from localep.images.images import ensure_image
from localep.images.settings import current_settings
from localep.progress import Reporter
from localep.protocol import AAD_TOKEN_AUTH
from localep.yamlspec import read_document
from localep.yamlspec.batch_loader import load_batch_deployment, read_batch_endpoint
from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.diagnostics import raise_first_error
from localep.yamlspec.yamlio import apply_overrides

SCORE_OUTPUT = "score"
CANCEL_WAIT_S = 60.0
STREAM_POLL_S = 0.2


# ---- batch endpoints --------------------------------------------------------------------------------------------

def _endpoint(name: str) -> BatchEndpointRecord:
    record = store.load_batch_endpoint(name.lower())
    if record is None:
        raise not_found(f"Batch endpoint {name}")
    return record


def batch_endpoint_create(args: argparse.Namespace) -> Dict[str, Any]:
    if args.file:
        document = read_document(Path(args.file))
        document, problems = apply_overrides(document, ([f"name={args.name}"] if args.name else []) + (args.set or []))
        endpoint, more = read_batch_endpoint(document)
        raise_first_error(problems + more)
        assert endpoint is not None
        name, default, description, tags = endpoint.name, endpoint.default_deployment, endpoint.description, endpoint.tags
    elif args.name:
        name, default, description, tags = args.name.lower(), None, None, {}
    else:
        raise AzError("the following arguments are required: --name/-n (or --file/-f)", AzExit.USAGE)
    record = store.load_batch_endpoint(name) or BatchEndpointRecord(name=name, created_at=store.now())
    record.description, record.tags = description, dict(tags)
    record.file = str(Path(args.file).resolve()) if args.file else record.file
    if default is not None:
        record.default_deployment = default
    store.save_batch_endpoint(record)
    return batch_endpoint_document(record)


def batch_endpoint_update(args: argparse.Namespace) -> Dict[str, Any]:
    if args.file:
        return batch_endpoint_create(args)
    record = _endpoint(args.name)
    for override in args.set or []:
        key, sep, value = override.partition("=")
        if not sep:
            raise AzError(f"--set {override}: expected PATH=VALUE", AzExit.USAGE)
        if key.strip() == "defaults.deployment_name":
            record.default_deployment = value.strip() or None
        elif key.strip() == "description":
            record.description = value
        elif key.strip().startswith("tags."):
            record.tags[key.strip()[len("tags."):]] = value
        else:
            raise AzError(f"--set {key}: a batch endpoint has defaults.deployment_name, description and tags.*",
                          code="BadArgument")
    if record.default_deployment and record.default_deployment not in record.deployments:
        raise AzError(f"defaults.deployment_name: batch endpoint {record.name} has no deployment "
                      f"{record.default_deployment!r} (deployments: {', '.join(record.deployments) or 'none'})",
                      code="BadArgument")
    store.save_batch_endpoint(record)
    return batch_endpoint_document(record)


def batch_endpoint_document(record: BatchEndpointRecord) -> Dict[str, Any]:
    return {
        "name": record.name,
        "auth_mode": AAD_TOKEN_AUTH,
        "defaults": {"deployment_name": record.default_deployment},
        "description": record.description,
        "id": f"{WORKSPACE_ID}/batchEndpoints/{record.name}",
        "location": "local",
        "properties": {"localep_jobs": str(job_dir("x").parent)},
        "provisioning_state": "Succeeded",
        "resourceGroup": "local",
        "scoring_uri": None,  # no REST endpoint locally: invoke with `az ml batch-endpoint invoke`
        "openapi_uri": None,
        "tags": dict(record.tags),
    }


def batch_endpoint_show(args: argparse.Namespace) -> Dict[str, Any]:
    return batch_endpoint_document(_endpoint(args.name))


def batch_endpoint_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    return [batch_endpoint_document(_endpoint(name)) for name in store.recorded_batch_endpoints()]


def batch_endpoint_delete(args: argparse.Namespace) -> None:
    record = _endpoint(args.name)
    confirm(args, f"Deleting batch endpoint {record.name} and its deployments (their jobs' outputs stay).")
    store.delete_batch_endpoint(record.name)


def batch_endpoint_invoke(args: argparse.Namespace) -> Dict[str, Any]:
    """Starts the job and returns at once (as the cloud does); `az ml job show|stream` follow it."""
    record = _endpoint(args.name)
    if not record.deployments:
        raise AzError(f"No deployment exists for this endpoint ({record.name}): create one with "
                      "`az ml batch-deployment create`", code="UserError")
    wanted = args.deployment_name or record.default_deployment
    if wanted is None:
        raise AzError("No valid deployments to route to: the endpoint has no defaults.deployment_name; set it with "
                      "`az ml batch-deployment create --set-default` or pass --deployment-name", code="UserError")
    entry = record.deployments.get(wanted)
    if entry is None:
        raise not_found(f"Deployment {wanted} of batch endpoint {record.name}")
    if not args.input:
        raise AzError("the following arguments are required: --input", AzExit.USAGE)
    input_path = _input_path(args.input, args.input_type)
    job = JobOverrides(
        mini_batch_size=_int(args.mini_batch_size, "--mini-batch-size"),
        instance_count=_int(args.instance_count, "--instance-count"),
        output_file_name=_job_setting(args.set, "output_file_name"),
        error_threshold=_int(_job_setting(args.set, "error_threshold"), "--set error_threshold", minimum=-1),
    )
    output = Path(args.output_path).expanduser() if args.output_path and "://" not in args.output_path else None
    name = new_job_name(record.name)
    detached = detach_job(["run", entry.file], name, input_path, output, entry.overrides, job)
    return job_document(detached)


def _job_setting(sets: Optional[List[str]], key: str) -> Optional[str]:
    """The cloud's per-job --set keys; others are refused rather than silently dropped."""
    found = None
    for override in sets or []:
        name, _, value = override.partition("=")
        if name.strip() not in ("output_file_name", "error_threshold", "mini_batch_size", "retry_settings.max_retries",
                                "retry_settings.timeout", "compute.instance_count"):
            raise AzError(f"--set {name}: a job takes output_file_name, error_threshold (or the --mini-batch-size "
                          "and --instance-count flags)", code="BadArgument")
        if name.strip() == key:
            found = value.strip()
    return found


def _int(text: Optional[str], flag: str, minimum: int = 1) -> Optional[int]:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise AzError(f"{flag}: expected a whole number, got {text!r}", AzExit.USAGE) from None
    if value < minimum:
        raise AzError(f"{flag}: must be at least {minimum}", AzExit.USAGE)
    return value


def _input_path(given: str, input_type: Optional[str]) -> str:
    """A local file or folder, or a registered data asset (`azureml:NAME:VERSION`, `azureml:NAME@latest`)."""
    if given.lower().startswith("azureml:"):
        asset = registry.resolve(registry.DATA, given)
        if asset is None:
            reference = registry.parse_reference(given)
            hint = f"; register it: `{reference.command_hint(registry.DATA)}`" if reference else ""
            raise AzError(f"--input {given}: no such data asset in the local registry{hint}", code="UserError")
        if asset.local_path is None:
            raise AzError(f"--input {given}: data asset {asset.name}:{asset.version} is remote ({asset.path}); "
                          "local jobs read local files", code="UserError")
        path = asset.local_path
    elif "://" in given:
        raise AzError(f"--input {given}: local jobs read local files or registered data assets", code="UserError")
    else:
        path = Path(given).expanduser()
    if input_type == "uri_file" and not path.is_file():
        raise AzError(f"--input {given}: --input-type uri_file needs a file", code="UserError")
    if input_type == "uri_folder" and path.exists() and not path.is_dir():
        raise AzError(f"--input {given}: --input-type uri_folder needs a folder", code="UserError")
    return str(path)


def batch_endpoint_list_jobs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    record = _endpoint(args.name)
    return [job_document(job) for job in reversed(list_jobs()) if job.endpoint == record.name]


# ---- batch deployments ------------------------------------------------------------------------------------------

def _batch_overrides(args: argparse.Namespace) -> List[str]:
    given = [f"name={args.name}"] if args.name else []
    if args.endpoint_name:
        given.append(f"endpoint_name={args.endpoint_name}")
    return given + list(args.set or [])


def batch_deployment_create(args: argparse.Namespace) -> Dict[str, Any]:
    """Validates the YAML and builds the environment image now, so a broken deployment fails here (as the
    cloud's provisioning would), not at the first invoke."""
    if not args.file:
        raise AzError("the following arguments are required: --file/-f", AzExit.USAGE)
    overrides = _batch_overrides(args)
    deployment = load_batch_deployment(Path(args.file), overrides)
    record = store.load_batch_endpoint(deployment.endpoint_name)
    if record is None:
        raise not_found(f"Batch endpoint {deployment.endpoint_name} (create it first with `az ml batch-endpoint "
                        "create`)")
    ensure_image(docker_client(), deployment, current_settings(), Reporter())
    previous = record.deployments.get(deployment.name)
    record.deployments[deployment.name] = BatchDeploymentRecord(
        name=deployment.name, file=str(Path(args.file).resolve()), overrides=overrides,
        created_at=previous.created_at if previous else store.now())
    if getattr(args, "set_default", False):
        record.default_deployment = deployment.name
    store.save_batch_endpoint(record)
    return batch_deployment_document(deployment, record)


def batch_deployment_update(args: argparse.Namespace) -> Dict[str, Any]:
    if args.file:
        return batch_deployment_create(args)
    if not (args.name and args.endpoint_name):
        raise AzError("give --file/-f, or --name/-n and --endpoint-name/-e", AzExit.USAGE)
    record = _endpoint(args.endpoint_name)
    entry = record.deployments.get(args.name)
    if entry is None:
        raise not_found(f"Deployment {args.name} of batch endpoint {record.name}")
    overrides = entry.overrides + list(args.set or [])
    deployment = load_batch_deployment(Path(entry.file), overrides)
    ensure_image(docker_client(), deployment, current_settings(), Reporter())
    entry.overrides = overrides
    store.save_batch_endpoint(record)
    return batch_deployment_document(deployment, record)


def batch_deployment_document(deployment: BatchDeployment, record: BatchEndpointRecord) -> Dict[str, Any]:
    settings = deployment.settings
    code = deployment.code_configuration
    return {
        "name": deployment.name,
        "endpoint_name": deployment.endpoint_name,
        "type": "model",
        "id": f"{WORKSPACE_ID}/batchEndpoints/{record.name}/deployments/{deployment.name}",
        "provisioning_state": "Succeeded",
        "resourceGroup": "local",
        "model": model_field(deployment.model),
        "code_configuration": {"code": str(code.code), "scoring_script": code.scoring_script} if code else None,
        "environment": environment_field(deployment.environment),
        "compute": deployment.compute,
        "resources": {"instance_count": deployment.instance_count},
        "settings": {
            "max_concurrency_per_instance": settings.max_concurrency_per_instance,
            "mini_batch_size": settings.mini_batch_size,
            "output_action": settings.output_action,
            "output_file_name": settings.output_file_name,
            "retry_settings": {"max_retries": settings.retry_settings.max_retries,
                               "timeout": settings.retry_settings.timeout},
            "error_threshold": settings.error_threshold,
            "logging_level": settings.logging_level,
            "environment_variables": dict(settings.environment_variables),
        },
        "is_default": record.default_deployment == deployment.name,
        "description": deployment.description,
        "tags": dict(deployment.tags),
    }


def _batch_deployment(endpoint_name: str, name: str) -> Dict[str, Any]:
    record = _endpoint(endpoint_name)
    entry = record.deployments.get(name)
    if entry is None:
        raise not_found(f"Deployment {name} of batch endpoint {record.name}")
    return batch_deployment_document(load_batch_deployment(Path(entry.file), entry.overrides), record)


def batch_deployment_show(args: argparse.Namespace) -> Dict[str, Any]:
    return _batch_deployment(args.endpoint_name, args.name)


def batch_deployment_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    record = _endpoint(args.endpoint_name)
    return [_batch_deployment(record.name, name) for name in sorted(record.deployments)]


def batch_deployment_delete(args: argparse.Namespace) -> None:
    record = _endpoint(args.endpoint_name)
    if args.name not in record.deployments:
        raise not_found(f"Deployment {args.name} of batch endpoint {record.name}")
    confirm(args, f"Deleting deployment {args.name} of batch endpoint {record.name}.")
    del record.deployments[args.name]
    if record.default_deployment == args.name:
        record.default_deployment = None
    store.save_batch_endpoint(record)


def batch_deployment_list_jobs(args: argparse.Namespace) -> List[Dict[str, Any]]:
    record = _endpoint(args.endpoint_name)
    return [job_document(job) for job in reversed(list_jobs())
            if job.endpoint == record.name and job.deployment == args.name]


# ---- jobs -------------------------------------------------------------------------------------------------------

def _job(name: str) -> JobRecord:
    record = read_job(name)
    if record is None:
        raise not_found(f"Job {name}")
    return record


def job_status(record: JobRecord) -> str:
    """A Running record whose runner is gone was killed before it could record its end: it failed."""
    if record.status is JobStatus.RUNNING and not runner_alive(record):
        return JobStatus.FAILED.value
    return record.status.value


def job_document(record: JobRecord) -> Dict[str, Any]:
    status = job_status(record)
    error = record.error
    if status != record.status.value:
        error = f"the job's runner (pid {record.pid}) ended without recording an outcome; see {_runner_log(record)}"
    counts = record.counts
    return {
        "name": record.name,
        "display_name": record.name,
        "type": "pipeline",
        "status": status,
        "experiment_name": record.endpoint,
        "id": f"{WORKSPACE_ID}/jobs/{record.name}",
        "creation_context": {"created_at": record.start_time},
        "start_time": record.start_time,
        "end_time": record.end_time,
        "inputs": {"input_data": {"path": record.input, "type": "uri_folder" if Path(record.input).is_dir()
                                  else "uri_file"}},
        "outputs": {SCORE_OUTPUT: {"path": record.output, "type": "uri_folder", "mode": "rw_mount"}},
        "properties": {
            "azureml.batchrun.endpoint": record.endpoint,
            "azureml.batchrun.deployment": record.deployment,
            "items": str(counts.items),
            "items_succeeded": str(counts.items_succeeded),
            "items_failed": str(counts.items_failed),
            "mini_batches": str(counts.mini_batches),
            "predictions": record.predictions or "",
        },
        "error": {"message": error} if error and status in ("Failed", "Canceled") else None,
        "resourceGroup": "local",
        "tags": {},
    }


def _runner_log(record: JobRecord) -> Path:
    return job_dir(record.name) / RUNNER_LOG


def job_show(args: argparse.Namespace) -> Dict[str, Any]:
    return job_document(_job(args.name))


def job_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    jobs = [job_document(job) for job in reversed(list_jobs())]
    limit = _int(args.max_results, "--max-results")
    return jobs[:limit] if limit else jobs


def job_stream(args: argparse.Namespace) -> RawText:
    """The job's log until it ends; a job that did not complete is an error, as `az ml job stream` makes it."""
    record = _job(args.name)
    log = _runner_log(record)
    printed = 0
    while True:
        if log.exists():
            text = log.read_text(encoding="utf-8", errors="replace")
            print(text[printed:], end="", flush=True)
            printed = len(text)
        status = job_status(read_job(record.name) or record)
        if status != JobStatus.RUNNING.value:
            break
        time.sleep(STREAM_POLL_S)
    final = read_job(record.name) or record
    if status != JobStatus.COMPLETED.value:
        raise AzError(f"job {record.name} {status}: {final.error or 'see its logs'}", code="JobFailed")
    return RawText(f"Execution Summary\n=================\nRunId: {record.name}\nStatus: {status}\n")


def job_download(args: argparse.Namespace) -> None:
    """Into DIR/named-outputs/score (--output-name score) and DIR/artifacts/logs, the cloud's layout."""
    record = _job(args.name)
    status = job_status(record)
    if status == JobStatus.RUNNING.value:
        raise AzError(f"job {record.name} is still Running; download its outputs once it has ended", code="UserError")
    if args.output_name and args.output_name != SCORE_OUTPUT:
        raise AzError(f"--output-name {args.output_name}: a batch job has one output, '{SCORE_OUTPUT}'",
                      code="UserError")
    source = Path(record.output)
    target = Path(args.download_path or ".").expanduser()
    if args.output_name or args.all:
        destination = target / "named-outputs" / SCORE_OUTPUT
        destination.mkdir(parents=True, exist_ok=True)
        for item in sorted(source.iterdir()) if source.is_dir() else []:
            if item.name != "logs":
                _copy(item, destination / item.name)
    if not args.output_name or args.all:
        _copy(source / "logs", target / "artifacts" / "logs")


def _copy(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
    elif source.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def job_cancel(args: argparse.Namespace) -> None:
    record = _job(args.name)
    if job_status(record) != JobStatus.RUNNING.value:
        raise AzError(f"job {record.name} has already ended ({job_status(record)}); only Running jobs can be "
                      "canceled", code="UserError")
    try:
        os.kill(record.pid, signal.SIGTERM)  # the runner removes its containers and records Canceled
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline:
        current = read_job(record.name) or record
        if job_status(current) != JobStatus.RUNNING.value:
            return
        time.sleep(STREAM_POLL_S)
    raise AzError(f"job {record.name} did not stop within {CANCEL_WAIT_S:.0f}s of SIGTERM (pid {record.pid})")
