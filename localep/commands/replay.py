"""`localep replay`: send recorded or sample requests again and say whether the answers still match."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

import click

from localep.commands.options import header_option
from localep.commands.output import emit_json, handles_errors, info, warn
from localep.commands.targets import endpoint_name
from localep.errors import LocalepError
from localep.exitcodes import ExitCode
from localep.fileio import atomic_write
from localep.progress import Reporter
from localep.protocol import DEPLOYMENT_HEADER, SCORING_PATH
from localep.replay import (
    ReplayCase,
    ReplayReport,
    ReplayResult,
    build_report,
    json_report,
    load_cases,
    load_request_file,
    parse_ignore,
    render_table,
    update_expectations,
    write_json,
    write_junit,
)
from localep.runtime.endpoints import EndpointAddress, endpoint_address
from localep.workflows.smoke import SendOptions, send

STDOUT = "-"


def sending_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--timeout", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True,
        help="Seconds to wait for a connection and for each read of an answer.",
    )(func)
    func = click.option(
        "--rate", type=click.FloatRange(0, min_open=True), help="Start at most this many requests per second.",
    )(func)
    return click.option(
        "--concurrency", type=click.IntRange(1), default=1, show_default=True, help="Requests in flight at once.",
    )(func)


def comparison_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--check-header", "check_headers", multiple=True, metavar="NAME",
        help="Also compare this response header exactly (repeatable).",
    )(func)
    func = click.option(
        "--ignore", multiple=True, metavar="PATH",
        help="Skip this JSON path in bodies, e.g. $.id, items[*].ts, **.timestamp (repeatable).",
    )(func)
    func = click.option(
        "--atol", type=click.FloatRange(0), default=0.0, show_default=True,
        help="Absolute tolerance for JSON numbers.",
    )(func)
    return click.option(
        "--rtol", type=click.FloatRange(0), default=0.0, show_default=True,
        help="Relative tolerance for JSON numbers: |actual - expected| <= atol + rtol * |expected|.",
    )(func)


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--json", "json_target", is_flag=False, flag_value=STDOUT, metavar="[FILE]",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        help="Write the JSON report to FILE; alone (or with -) print it on stdout instead of the table.",
    )(func)
    return click.option(
        "--junit", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
        help="Write a JUnit XML report (one test case per request) for CI.",
    )(func)


@click.command("replay")
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--request-file", "request_files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An az ml style request body; its expected answer is NAME.expected.json beside it (repeatable).")
@click.option("--endpoint", "target", metavar="NAME",
              help="Replay against this running local endpoint (its name or one of its YAML files).")
@click.option("--url", help="Replay against this scoring URI; recorded requests go to its host with their own path.")
@click.option("--deployment", help="Pin a deployment (sends the azureml-model-deployment header).")
@header_option
@click.option("--update", is_flag=True, help="Make the answers received the new expectations (rewrites the files).")
@sending_options
@comparison_options
@report_options
@handles_errors
def command(sources: Sequence[Path], request_files: Sequence[Path], target: Optional[str], url: Optional[str],
            deployment: Optional[str], headers: Dict[str, str], update: bool, concurrency: int, rate: Optional[float], timeout: float,
            rtol: float, atol: float, ignore: Sequence[str], check_headers: Sequence[str], junit: Optional[Path],
            json_target: Optional[Path]) -> None:
    """Send requests again and check every answer against the one expected.

    SOURCES are recordings (*.jsonl), folders of request bodies, or single request files; a request file's
    expected answer is NAME.expected.json beside it (without one, any 2xx answer passes).
    Exits 0 when every answer matched and 9 on any mismatch.

    \b
    Example:
      localep replay traffic.jsonl --endpoint numpy-regression --rtol 1e-6 --ignore '**.request_id'
      localep replay --request-file sample-request.json --url http://127.0.0.1:8080/score --update
    """
    if bool(target) == bool(url):
        raise click.UsageError("give exactly one of --endpoint NAME and --url URL")
    if not sources and not request_files:
        hint = f" (--json took {json_target} as its FILE: use `--json -` or put --json last)" \
            if json_target is not None and json_target.is_file() else ""
        raise click.UsageError("name a recording, a folder or a request file (or use --request-file)" + hint)
    if update and junit is not None:
        raise click.UsageError("--update records answers instead of testing them: drop --junit")
    check_report_paths([*sources, *request_files], junit, json_target)
    check_ignore_paths(ignore)
    cases = collect_cases(sources, request_files)
    address = url_address(url) if url else endpoint_address(endpoint_name(str(target)))
    extra = {**headers, **({DEPLOYMENT_HEADER: deployment} if deployment else {})}
    options = SendOptions(concurrency, rate, timeout, extra)
    results = send(cases, address, options, Reporter())
    report = build_report(results, rtol, atol, ignore, check_headers)
    if update:
        record_answers(report, results, json_target)
        return
    present(report, junit, json_target)
    if report.exit_code != ExitCode.OK:
        sys.exit(int(report.exit_code))


def url_address(url: str) -> EndpointAddress:
    """The scoring URI split into its origin (recorded requests keep their own path) and its path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return EndpointAddress(name="", base_url=f"{parts.scheme}://{parts.netloc}", scoring_path=path)


def collect_cases(sources: Sequence[Path], request_files: Sequence[Path]) -> List[ReplayCase]:
    """Cases in the order given; request paths are set to the endpoint's scoring path when sending."""
    cases: List[ReplayCase] = []
    for source in sources:
        cases += load_cases(source, SCORING_PATH)
    cases += [load_request_file(path, SCORING_PATH) for path in request_files]
    return cases


def check_report_paths(inputs: Sequence[Path], junit: Optional[Path], json_target: Optional[Path]) -> None:
    """A report must never overwrite an input file (easy to do with `--json traffic.jsonl`)."""
    taken = {path.resolve() for path in inputs}
    for option, path in (("--junit", junit), ("--json", json_target)):
        if path is not None and path != Path(STDOUT) and path.resolve() in taken:
            raise click.BadParameter(f"{path} is one of the input files; name another file", param_hint=option)


def check_ignore_paths(ignore: Sequence[str]) -> None:
    """Reject a malformed --ignore before any request is sent."""
    for pattern in ignore:
        parse_ignore(pattern)


def present(report: ReplayReport, junit: Optional[Path], json_target: Optional[Path]) -> None:
    """Reports to their files; the table on stdout, or on stderr when stdout carries the JSON report."""
    if junit is not None:
        write_junit(report, junit)
    if json_target == Path(STDOUT):
        click.echo(render_table(report), err=True, nl=False)
        emit_json(json_report(report))
        return
    if json_target is not None:
        write_json(report, json_target)
    click.echo(render_table(report), nl=False)


def record_answers(report: ReplayReport, results: Sequence[ReplayResult], json_target: Optional[Path]) -> None:
    """`--update`: show what changed, rewrite the expectations, and fail if some request got no answer."""
    changed = [case for case in report.cases if not case.passed and case.error is None]
    unanswered = [result.case.name for result in results if result.error is not None]
    written = update_expectations(results)
    for case in changed:
        for difference in case.differences:
            info(f"changed {case.name}: {difference.path}: {difference.reason}")
    if json_target is not None:
        document = {**json_report(report), "updated": [str(path) for path in written]}
        if json_target == Path(STDOUT):
            emit_json(document)
        else:
            write_json_document(document, json_target)
    else:
        for path in written:
            click.echo(str(path))
    info(f"updated {len(written)} file(s); {len(changed)} expectation(s) changed")
    if unanswered:
        for name in unanswered:
            warn(f"{name}: no answer, expectation kept")
        raise LocalepError(f"{len(unanswered)} request(s) got no answer; their expectations were not updated")


def write_json_document(document: dict, path: Path) -> None:
    atomic_write(path, json.dumps(document, indent=2) + "\n", private=True)
