"""`localep smoke`: up, replay, down in one command; the exit code is 0 only when every answer matched."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import handles_errors
from localep.commands.replay import (
    check_ignore_paths,
    check_report_paths,
    collect_cases,
    comparison_options,
    present,
    report_options,
    sending_options,
)
from localep.dockerclient import docker_client
from localep.exitcodes import ExitCode
from localep.progress import Reporter
from localep.replay import build_report
from localep.workflows.smoke import SendOptions, run_smoke


@click.command("smoke")
@options.spec_options
@options.build_options
@options.triton_image_option
@click.option("--requests", "request_sources", multiple=True, required=True, metavar="PATH",
              type=click.Path(exists=True, path_type=Path),
              help="Recording (*.jsonl), folder of request bodies, or request file to replay (repeatable).")
@click.option("--ready-timeout", type=click.FloatRange(0, min_open=True),
              help="Seconds to wait for readiness (default: the readiness_probe bound).")
@sending_options
@comparison_options
@report_options
@handles_errors
def command(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
            ca_bundle: Optional[Path], rebuild: bool, triton_image: Optional[str], request_sources: Sequence[Path],
            ready_timeout: Optional[float],
            concurrency: int, rate: Optional[float], timeout: float, rtol: float, atol: float,
            installer: str, ignore: Sequence[str], check_headers: Sequence[str], junit: Optional[Path],
            json_target: Optional[Path]) -> None:
    """Start a private copy of the endpoint, replay requests against it, and remove it again.

    The copy gets its own name and a free port, so it runs beside a `localep up` of the same endpoint.
    The image is built once and reused while the environment is unchanged. Everything started is removed
    on success, failure, Ctrl-C and SIGTERM. Exits 0 only when every answer matched (9 on a mismatch).

    \b
    Example:
      localep smoke examples/numpy-regression/blue-deployment.yml --requests tests/traffic.jsonl --junit smoke.xml
    """
    inputs = [*request_sources, *files] + ([endpoint_file] if endpoint_file else [])
    check_report_paths(inputs, junit, json_target)
    check_ignore_paths(ignore)
    project = options.load(files, endpoint_file, overrides, triton_image)
    cases = collect_cases(request_sources, ())
    run = run_smoke(
        docker_client(),
        project,
        cases,
        options.build_settings(pull, ca_bundle, rebuild, installer),
        SendOptions(concurrency, rate, timeout),
        Reporter(),
        ready_timeout=ready_timeout,
    )
    report = build_report(run.results, rtol, atol, ignore, check_headers)
    present(report, junit, json_target)
    if report.exit_code != ExitCode.OK:
        sys.exit(int(report.exit_code))
