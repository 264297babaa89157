"""`localep ps`: what is running, from container labels and each endpoint's gateway, so it works from any shell."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, print_table
from localep.commands.targets import endpoint_name
from localep.dockerclient import docker_client
from localep.protocol import SCORING_PATH
from localep.runtime import containers, labels
from localep.runtime.containers import RunningContainer
from localep.runtime.gateway_link import gateway_state


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
    found = [containers.describe(c) for c in containers.find(client, endpoint_name(target) if target else None)]
    gateways = {name: gateway_state(name) for name in sorted({row.endpoint for row in found})}
    rows = [ps_row(row, gateways.get(row.endpoint)) for row in found]
    if as_json:
        emit_json(rows)
    else:
        _print_table(rows)


def ps_row(row: RunningContainer, gateway: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    record: Dict[str, Any] = {
        "endpoint": row.endpoint,
        "deployment": row.deployment,
        "instance": row.instance,
        "container": row.name,
        "status": row.status,
        "direct_url": f"http://127.0.0.1:{row.host_port}{row.labels.get(labels.SCORING_PATH, SCORING_PATH)}"
        if row.host_port else None,
        "debug_port": row.debug_port,
        "image": row.image,
        "code_dir": row.labels.get(labels.CODE_DIR),
        "remote_code_dir": row.labels.get(labels.REMOTE_CODE_DIR),
        "spec_file": row.labels.get(labels.SPEC_FILE),
        "url": None,
        "port": None,
        "health": "stopped" if row.status != "running" else "unknown",
        "traffic": None,
        "mirror_traffic": None,
        "stats": None,
        "restarts": 0,  # restarts by the endpoint's instance keeper (crashes, kills, engine restarts)
        "exit_reason": None,  # why the container last stopped, while it is being restarted
    }
    if gateway is None:
        return record
    config = gateway["config"]
    record.update(url=gateway['url'] + SCORING_PATH, port=config["port"], auth_mode=config["auth_mode"],
                  traffic=config["traffic"].get(row.deployment, 0),
                  mirror_traffic=config["mirror_traffic"].get(row.deployment, 0))
    deployment = gateway["deployments"].get(row.deployment)
    if deployment is not None:
        record["stats"] = deployment["stats"]
        instance = next((i for i in deployment["instances"] if i["container"] == row.name), None)
        if instance is not None:
            record["restarts"] = instance["restarts"]
            record["exit_reason"] = instance.get("exit_reason")
            if instance.get("restarting"):
                record["status"] = "crash-looping" if instance.get("crash_looping") else "restarting"
                record["health"] = "unavailable"
            elif row.status == "running":
                record["health"] = "healthy" if instance["healthy"] else "unhealthy"
    return record


def _print_table(rows: List[Dict[str, Any]]) -> None:
    if not rows:
        click.echo("no local endpoints")
        return
    table = [("ENDPOINT", "DEPLOYMENT", "STATUS", "HEALTH", "TRAFFIC", "REQUESTS", "ERRORS", "P50 MS", "URL", "DEBUG")]
    for row in rows:
        stats = row["stats"] or {}
        p50 = (stats.get("latency_ms") or {}).get("p50")
        traffic = "-" if row["traffic"] is None else f"{row['traffic']}%" + (
            f" (+{row['mirror_traffic']}% mirror)" if row["mirror_traffic"] else "")
        name = row["deployment"] if row["instance"] == 0 else f"{row['deployment']}#{row['instance'] + 1}"
        table.append((row["endpoint"], name, row["status"], row["health"], traffic, str(stats.get("requests", "-")),
                      str(stats.get("errors", "-")), f"{p50:.1f}" if p50 is not None else "-", row["url"] or "-",
                      str(row["debug_port"] or "-")))
    print_table(table)
