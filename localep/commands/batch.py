"""`localep batch run|invoke`: an Azure ML batch deployment over local files, with the cloud's semantics and output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List, Optional

import click

from localep.batch.detach import detach_job
from localep.batch.inputs import resolve_input
from localep.batch.job import JobOverrides, apply_job_overrides, prepare_job, run_job
from localep.batch.jobs import new_job_name
from localep.batch.runner import JobOutcome
from localep.commands import options
from localep.commands.output import emit_json, handles_errors, info
from localep.dockerclient import docker_client
from localep.errors import SpecError
from localep.exitcodes import ExitCode
from localep.progress import Reporter
from localep.yamlspec.batch_loader import load_batch_deployment, load_batch_endpoint, select_deployment
from localep.yamlspec.batch_model import BatchDeployment


@click.group("batch")
def command() -> None:
    """Run Azure ML batch deployments locally: mini-batches over files, in the deployment's environment image.

    \b
    Example:
      localep batch run deployment.yml --input data/ --output out/
      localep batch invoke endpoint.yml --input 'data/*.csv' --deployment classifier
    """


def job_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The flags `run` and `invoke` share: input/output, the cloud's per-job settings, build and output format."""
    decorators = [
        click.option("--input", "input_text", required=True, metavar="PATH",
                     help="A file, a folder (every file below it) or a quoted glob such as 'data/*.csv'."),
        click.option("--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Output folder (default: $LOCALEP_HOME/jobs/<job>/score)."),
        click.option("--overwrite", is_flag=True, help="Replace the output of an earlier job in --output."),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override a deployment field, like az ml (e.g. --set settings.max_concurrency_per_instance=2)."),
        click.option("--mini-batch-size", type=click.IntRange(min=1), help="Files per run() call for this job."),
        click.option("--instance-count", type=click.IntRange(min=1), help="Containers for this job."),
        click.option("--output-file-name", help="Name of the append_row output file for this job."),
        click.option("--error-threshold", type=click.IntRange(min=-1),
                     help="Failed items that abort this job (-1: never abort)."),
        click.option("-d", "--detach", is_flag=True, help="Start the job in the background and print its name."),
        click.option("--job-name", hidden=True),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return options.json_option(options.build_options(func))


@command.command("run")
@click.argument("deployment_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--endpoint", "endpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The batch endpoint YAML; its name must match the deployment's endpoint_name.")
@job_options
@handles_errors
def run_command(deployment_file: Path, endpoint_file: Optional[Path], **values: Any) -> None:
    """Run a batch deployment over local files, as a batch endpoint job would in the cloud.

    Files are split into mini-batches of settings.mini_batch_size; resources.instance_count containers each run
    settings.max_concurrency_per_instance worker processes, which call init() once and then run(mini_batch) with
    the full paths of the files (mounted read-only). Results go to --output in the cloud's layout. Exit codes:
    11 error_threshold exceeded, 12 no item succeeded, 13 init() failed, 130 (143 SIGTERM, 129 SIGHUP) canceled.

    \b
    Example:
      localep batch run deployment.yml --input data/ --output out/
      localep batch run deployment.yml --input 'data/*.png' --set resources.instance_count=2 --json
    """
    deployment = load_batch_deployment(deployment_file, list(values["overrides"]))
    if endpoint_file is not None:
        endpoint = load_batch_endpoint(endpoint_file)
        if endpoint.name != deployment.endpoint_name:
            raise SpecError(f"endpoint_name '{deployment.endpoint_name}' does not match the endpoint given: "
                            f"name '{endpoint.name}' in {endpoint.location('name')}", deployment.location("endpoint_name"))
    _run(deployment, ["run", str(deployment_file.resolve())], values)


@command.command("invoke")
@click.argument("endpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--deployment", "deployment_name", help="Deployment to run (default: the endpoint's defaults.deployment_name).")
@job_options
@handles_errors
def invoke_command(endpoint_file: Path, deployment_name: Optional[str], **values: Any) -> None:
    """Invoke a batch endpoint: run its default deployment (or --deployment) over local files.

    The endpoint's deployments are the batch deployment YAML files beside it whose endpoint_name is the
    endpoint's name; several may exist, as in the cloud.

    \b
    Example:
      localep batch invoke endpoint.yml --input data/ --output out/
      localep batch invoke endpoint.yml --input data/ --deployment mnist-keras --detach
    """
    endpoint = load_batch_endpoint(endpoint_file)
    path = select_deployment(endpoint, deployment_name)
    deployment = load_batch_deployment(path, list(values["overrides"]))
    _run(deployment, ["run", str(path.resolve())], values)


def _run(deployment: BatchDeployment, argv: List[str], values: Any) -> None:
    overrides = JobOverrides(values["mini_batch_size"], values["instance_count"], values["output_file_name"],
                             values["error_threshold"])
    as_json: bool = values["as_json"]
    apply_job_overrides(deployment, overrides)  # their errors come before anything starts
    batch_input = resolve_input(values["input_text"])
    if values["detach"]:
        _detach(deployment, argv, values)
        return
    build = options.build_settings(values["pull"], values["ca_bundle"], values["rebuild"], values["installer"])
    client = docker_client()
    job = prepare_job(deployment, batch_input, values["output_dir"], overrides, values["overwrite"], values["job_name"])
    reporter = Reporter(quiet=as_json)
    reporter.step(f"job {job.record.name}: output in {job.layout.root}")
    outcome = run_job(client, job, build, reporter)
    if as_json:
        emit_json(outcome.to_dict())
    else:
        _print_summary(outcome)
    if outcome.exit_code is not ExitCode.OK:
        raise click.exceptions.Exit(int(outcome.exit_code))


def _detach(deployment: BatchDeployment, argv: List[str], values: Any) -> None:
    name = values["job_name"] or new_job_name(deployment.endpoint_name)
    job = JobOverrides(values["mini_batch_size"], values["instance_count"], values["output_file_name"],
                       values["error_threshold"])
    record = detach_job(argv, name, values["input_text"], values["output_dir"], values["overrides"], job,
                        overwrite=values["overwrite"], rebuild=values["rebuild"], pull=values["pull"],
                        ca_bundle=values["ca_bundle"], installer=values["installer"])
    if values["as_json"]:
        emit_json(record.to_dict())
    else:
        info(f"job {name} runs in the background (pid {record.pid}); output: {record.output}")
        click.echo(name)


def _print_summary(outcome: JobOutcome) -> None:
    record, counts = outcome.record, outcome.record.counts
    not_run = counts.items - counts.items_succeeded - counts.items_failed
    click.echo(f"{record.status.value}: {counts.items_succeeded} of {counts.items} item(s) succeeded, "
               f"{counts.items_failed} failed" + (f", {not_run} not run" if not_run else "")
               + f", {counts.retries} retried" + _requeued(counts.requeued, outcome.instances_restarted)
               + f", in {outcome.duration:.1f}s (job {record.name})")
    if record.predictions:
        click.echo(f"predictions: {record.predictions}")
    click.echo(f"output:      {record.output}")
    click.echo(f"logs:        {Path(record.output) / 'logs'}")
    if record.error:
        click.echo(click.style("error: ", fg="red", bold=True) + record.error, err=True)


def _requeued(requeued: int, restarted: int) -> str:
    """Only when an instance was lost: how many hand-outs went back to the queue and how many were restarted."""
    if not requeued and not restarted:
        return ""
    return f", {requeued} mini-batch(es) requeued from lost instances ({restarted} instance(s) restarted)"
