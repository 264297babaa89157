"""`localep up`: build, start, wait until the endpoint really answers, then stream logs and hot-reload (or detach)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors, info
from localep.datacollect.plan import collection_folders
from localep.devloop.attach import write_deployment_attach
from localep.devloop.session import DevSession
from localep.dockerclient import docker_client
from localep.progress import Reporter
from localep.runtime.deploy import RunningEndpoint, UpOptions, deploy
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.plan import DebugOptions


@click.command("up")
@options.spec_options
@options.build_options
@options.triton_image_option
@click.option("--port", type=click.IntRange(1, 65535), help="Endpoint port on 127.0.0.1 (default: remembered per endpoint).")
@click.option("-d", "--detach", is_flag=True, help="Return once ready and leave the endpoint running.")
@click.option("--no-reload", is_flag=True, help="Do not watch the code, model and environment for changes.")
@click.option("--debug", is_flag=True, help="Run the server under debugpy, listening on 127.0.0.1:--debug-port.")
@click.option("--debug-port", type=click.IntRange(1, 65535), default=5678, show_default=True)
@click.option("--wait-for-debugger", is_flag=True, help="With --debug: stop before init() until a debugger attaches.")
@click.option("--vscode", "write_vscode", is_flag=True,
              help="With --debug: add the attach configuration to ./.vscode/launch.json.")
@click.option("--no-auth", is_flag=True, help="Accept requests without a key or token (quick pokes).")
@click.option("--raw-errors", is_flag=True, help="Pass the container's own error answers through instead of the cloud's 424.")
@click.option("--record", "record_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Append every request and response to this JSONL file (for `localep replay`).")
@click.option("--max-body-mb", type=click.IntRange(1, 4096), default=100, show_default=True,
              help="Largest request body the endpoint accepts; bigger ones get 413 before they are read.")
@click.option("--timeout", "ready_timeout", type=float, help="Seconds to wait for readiness (default: the readiness_probe bound).")
@options.json_option
@handles_errors
def command(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
            ca_bundle: Optional[Path], rebuild: bool, triton_image: Optional[str],
            port: Optional[int], detach: bool, no_reload: bool,
            installer: str, debug: bool, debug_port: int, wait_for_debugger: bool, write_vscode: bool, no_auth: bool,
            raw_errors: bool, record_path: Optional[Path], max_body_mb: int, ready_timeout: Optional[float],
            as_json: bool) -> None:
    """Run deployments locally behind their endpoint and wait until it answers, like the cloud would.

    FILES are deployment YAML files (and optionally the endpoint YAML, or a folder holding them), exactly as
    written for Azure ML. Adding a deployment later (`localep up green.yml`) attaches it to the running endpoint.
    In the foreground, saving the scoring script or model reloads the server; Ctrl-C (or SIGTERM, SIGHUP) stops and
    removes everything.

    A deployment's data_collector collects as in the cloud, as JSON lines (`up` prints each collection's folder,
    `ps --json` has them as data_collection):

    \b
      $LOCALEP_HOME/datastores/workspaceblobstore/paths/modelDataCollector/ENDPOINT/DEPLOYMENT/COLLECTION/

    \b
    Example:
      localep up examples/numpy-regression/blue-deployment.yml
      localep up endpoint.yml blue.yml green.yml --detach
      localep up blue-deployment.yml --debug --vscode
      localep up triton-deployment.yml --triton-image my-tritonserver:24.10
    """
    reporter = Reporter(quiet=as_json)
    project = options.load(files, endpoint_file, overrides, triton_image)
    client = docker_client()
    debugging = debug or wait_for_debugger
    up_options = UpOptions(
        build=options.build_settings(pull, ca_bundle, rebuild, installer),
        port=port,
        debug=DebugOptions(port=debug_port, wait_for_client=wait_for_debugger) if debugging else None,
        ready_timeout=ready_timeout,
        auth=not no_auth,
        raw_errors=raw_errors,
        record_path=str(record_path.resolve()) if record_path else None,
        max_body_bytes=max_body_mb * 1024 * 1024,
    )
    if write_vscode:
        _write_launch_json(project.deployments, debug_port)
    with Lifecycle(client) as owned:
        started = time.time()
        endpoint = deploy(client, project, up_options, reporter, owned)
        if up_options.debug is not None:
            reporter.step(f"debugpy listens on 127.0.0.1:{debug_port}: attach with VS Code's "
                          f"\"localep: attach {endpoint.name}/...\" (`localep vscode FILE` or `up --vscode` writes it)")
        _report(endpoint, as_json)
        if detach:
            owned.keep()
            return
        try:
            DevSession(client, endpoint, up_options, reporter, owned, reload=not no_reload).run(since=started - 1)
        finally:
            reporter.step(f"stopping {', '.join(d.name for d in project.deployments)} of {endpoint.name}")


def _write_launch_json(deployments, debug_port: int) -> None:
    for deployment in deployments:
        if deployment.code_configuration is not None:
            config, path = write_deployment_attach(deployment, debug_port, Path.cwd(), just_my_code=False)
            info(f"launch.json: {config['name']} -> {path}")


def _report(endpoint: RunningEndpoint, as_json: bool) -> None:
    if as_json:
        emit_json(endpoint_summary(endpoint))
    else:
        click.echo(endpoint.scoring_uri)


def endpoint_summary(endpoint: RunningEndpoint) -> dict:
    return {
        "endpoint": endpoint.name,
        "port": endpoint.port,
        "scoring_uri": endpoint.scoring_uri,
        "deployments": [
            {"deployment": i.deployment.name, "container": i.plan.name, "ready_seconds": round(i.ready_seconds, 3),
             "data_collection": {name: str(path) for name, path in collection_folders(i.deployment).items()} or None}
            for i in endpoint.instances
        ],
    }
