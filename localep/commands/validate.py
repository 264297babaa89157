"""`localep validate`: check endpoint and deployment YAML without Docker, for editors, hooks and CI."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import click

from localep.commands.output import emit_json, handles_errors, info
from localep.exitcodes import ExitCode
from localep.validate import validate_paths


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of file:line messages.")
@handles_errors
def command(paths: Tuple[Path, ...], as_json: bool) -> None:
    """Check endpoint and deployment YAML (and the files they name) without Docker.

    Checks every field against the Azure ML schema, that local paths exist, that the scoring
    script parses and defines init() and run(), that the conda file has the inference server,
    and that traffic names existing deployments. Folders stand for the YAML files inside them;
    other YAML files are skipped. Exits 3 when there is an error.

    \b
    Example:
      localep validate endpoints/online/managed/sample/
    """
    report = validate_paths(list(paths))
    if as_json:
        emit_json(report.to_dict())
    else:
        for diagnostic in report.diagnostics:
            click.echo(str(diagnostic))
        for line in report.notice():
            info(line)
        for path in report.skipped:
            info(f"skipped {path}: not an Azure ML online endpoint or deployment")
        errors, warnings = len(report.errors), len(report.warnings)
        info(f"{len(report.checked)} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if report.errors:
        raise click.exceptions.Exit(int(ExitCode.SPEC))
