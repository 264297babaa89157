"""`localep ps`: what is running, from container labels and each endpoint's gateway, so it works from any shell."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, Dict, List, Optional

import click
import docker.errors
from docker.models.containers import Container

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, print_table
from localep.commands.targets import endpoint_name
from localep.dockerclient import docker_client
from localep.gateway.keeper import exit_reason
from localep.gateway.status import GatewayStatus, InstanceStatus
from localep.memory import GIB
from localep.protocol import SCORING_PATH
from localep.runtime import containers, labels
from localep.runtime.containers import RunningContainer
from localep.runtime.gateway_link import debug_socket, gateway_problem, gateway_state
from localep.runtime.sizing import resource_use


@click.command("ps")
@click.argument("target", required=False)
@json_option
@handles_errors
def command(target: Optional[str], as_json: bool) -> None:
    """List local endpoints, their deployments, traffic, health and request statistics.

    \b
    Example:
      localep ps
      localep ps numpy-regression --json
    """
    client = docker_client()
    listed = containers.find(client, endpoint_name(target) if target else None)
    found = [containers.describe(c) for c in listed]
    gateways = {name: gateway_state(name) for name in sorted({row.endpoint for row in found})}
    problems = {name: gateway_problem(client, name) for name, state in gateways.items() if state is None}
    rows = [ps_row(row, gateways.get(row.endpoint), problems.get(row.endpoint)) for row in found]
    for row, use in zip(rows, _resource_uses(listed)):
        row.update(use)
    if as_json:
        emit_json(rows)
    else:
        _print_table(rows)


def ps_row(row: RunningContainer, gateway: Optional[GatewayStatus], problem: Optional[str] = None) -> Dict[str, Any]:
    record: Dict[str, Any] = {
        "endpoint": row.endpoint,
        "deployment": row.deployment,
        "instance": row.instance,
        "container": row.name,
        "status": row.status,
        "debug_port": row.debug_port,
        # Owner-only (0600) Unix socket: a plain DAP stream to debugpy's adapter in the container.
        "debug_socket": str(debug_socket(row.endpoint, row.deployment)) if row.debug_port else None,
        "image": row.image,
        "code_dir": row.labels.get(labels.CODE_DIR),
        "remote_code_dir": row.labels.get(labels.REMOTE_CODE_DIR),
        "spec_file": row.labels.get(labels.SPEC_FILE),
        # data_collector's enabled collections and the folder each is written to (None without one)
        "data_collection": json.loads(row.labels.get(labels.DATA_COLLECTION) or "null"),
        "url": None,
        "port": None,
        "health": "stopped" if row.status != "running" else "unknown",
        "traffic": None,
        "mirror_traffic": None,
        "stats": None,
        "restarts": 0,  # restarts by the endpoint's instance keeper (crashes, kills, engine restarts)
        "exit_reason": None,  # why the container last stopped, while it is being restarted
        "instances": None,  # the deployment's running instances (autoscale changes it)
        "gateway_problem": problem,  # what is missing while the endpoint's gateway does not answer, and how long
    }
    if gateway is None:
        return record
    config = gateway.config
    record.update(url=gateway.url + SCORING_PATH, port=config.port, auth_mode=config.auth_mode,
                  traffic=config.traffic.get(row.deployment, 0),
                  mirror_traffic=config.mirror_traffic.get(row.deployment, 0))
    deployment = gateway.deployments.get(row.deployment)
    if deployment is not None:
        record["stats"] = asdict(deployment.stats)
        record["instances"] = deployment.running_instances
        instance = next((i for i in deployment.instances if i.container == row.name), None)
        if instance is not None:
            record.update(_instance_columns(instance, row.status))
    return record


def _instance_columns(instance: InstanceStatus, container_status: str) -> Dict[str, Any]:
    columns: Dict[str, Any] = {"restarts": instance.restarts, "exit_reason": instance.exit_reason}
    if instance.parked or instance.draining:
        columns.update(status="draining" if instance.draining else "parked (autoscale)", health="-")
    elif instance.restarting:
        columns.update(status="crash-looping" if instance.crash_looping else "restarting", health="unavailable")
    elif container_status == "running":
        columns["health"] = "healthy" if instance.healthy else "unhealthy"
    return columns


def _resource_uses(listed: List[Container]) -> List[Dict[str, Any]]:
    """Memory and CPU use against the limits (one `docker stats` sample each, side by side: each takes ~1 s)."""
    def use(container: Container) -> Dict[str, Any]:
        state = container.attrs.get("State") or {}
        record: Dict[str, Any] = {"instance_type": container.labels.get(labels.INSTANCE_TYPE), "memory": None,
                                  "cpu": None}
        if state.get("OOMKilled") and not state.get("Running"):
            record["exit_reason"] = exit_reason(state)
        if state.get("Running"):
            try:
                record.update(resource_use(container.stats(stream=False), container.attrs.get("HostConfig") or {}))
            except (docker.errors.APIError, ValueError):
                pass  # gone meanwhile: the engine answers a removed container's stats with an empty body (not JSON)
        return record

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(listed)))) as pool:
        return list(pool.map(use, listed))


def _print_table(rows: List[Dict[str, Any]]) -> None:
    if not rows:
        click.echo("no local endpoints")
        return
    table = [("ENDPOINT", "DEPLOYMENT", "STATUS", "HEALTH", "TRAFFIC", "REQUESTS", "ERRORS", "P50 MS", "MEMORY", "CPU",
              "URL", "DEBUG")]
    for row in rows:
        stats = row["stats"] or {}
        p50 = (stats.get("latency_ms") or {}).get("p50")
        traffic = "-" if row["traffic"] is None else f"{row['traffic']}%" + (
            f" (+{row['mirror_traffic']}% mirror)" if row["mirror_traffic"] else "")
        name = row["deployment"] if row["instance"] == 0 else f"{row['deployment']}#{row['instance'] + 1}"
        table.append((row["endpoint"], name, row["status"], row["health"], traffic, str(stats.get("requests", "-")),
                      str(stats.get("errors", "-")), f"{p50:.1f}" if p50 is not None else "-", _memory_cell(row),
                      _cpu_cell(row), row["url"] or "-", str(row["debug_port"] or "-")))
    print_table(table)
    for endpoint, problem in sorted({(row["endpoint"], row["gateway_problem"]) for row in rows if row["gateway_problem"]}):
        click.echo(f"{endpoint}: {problem}")


def _memory_cell(row: Dict[str, Any]) -> str:
    """"0.12/1.89 GiB": use against the SKU's (or resources') limit; "out of memory" once killed for it."""
    if row.get("exit_reason") and "out of memory" in row["exit_reason"]:
        return "out of memory"
    memory = row.get("memory") or {}
    if memory.get("usage") is None:
        return "-"
    limit = f"{memory['limit'] / GIB:.2f}" if memory.get("limit") else "no limit"
    return f"{memory['usage'] / GIB:.2f}/{limit} GiB"


def _cpu_cell(row: Dict[str, Any]) -> str:
    cpu = row.get("cpu") or {}
    if cpu.get("percent") is None:
        return "-"
    return f"{cpu['percent']:g}%" + (f" of {cpu['limit']:g}" if cpu.get("limit") else "")
