"""`localep stats`: per-deployment request counts, errors and latency percentiles from the endpoint's gateway."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Dict

import click

from localep.commands.options import json_option
from localep.commands.output import emit_json, handles_errors, print_table
from localep.commands.targets import endpoint_name
from localep.errors import LocalepError
from localep.gateway.status import GatewayStatus
from localep.runtime.gateway_link import running_gateway


@click.command("stats")
@click.argument("target")
@json_option
@handles_errors
def command(target: str, as_json: bool) -> None:
    """Show request counts, error counts and latency percentiles per deployment (and for the mirror).

    \b
    Example:
      localep stats numpy-regression
      localep stats numpy-regression --json | jq .deployments.blue.latency_ms.p99
    """
    name = endpoint_name(target)
    gateway = running_gateway(name)
    if gateway is None:
        raise LocalepError(f"no running local endpoint {name!r} (see `localep ps`)")
    state = gateway.control.state()
    summary = stats_summary(state)
    if as_json:
        emit_json(summary)
        return
    table = [("DEPLOYMENT", "TRAFFIC", "HEALTHY", "REQUESTS", "ERRORS", "P50 MS", "P95 MS", "P99 MS", "STATUSES")]
    for deployment, row in summary["deployments"].items():
        table.append((deployment, f"{row['traffic']}%", f"{row['healthy_instances']}/{row['instances']}",
                      *_cells(row["stats"])))
    mirror = summary["mirror"]
    if mirror["deployment"]:
        table.append((f"{mirror['deployment']} (mirror)", f"{mirror['share']}%", "-", *_cells(mirror["stats"])))
    print_table(table)


def _cells(stats: Dict[str, Any]):
    latency = stats["latency_ms"]
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(stats["status_counts"].items())) or "-"
    return (str(stats["requests"]), str(stats["errors"]),
            *(f"{latency[p]:.1f}" if latency[p] is not None else "-" for p in ("p50", "p95", "p99")), statuses)


def stats_summary(state: GatewayStatus) -> Dict[str, Any]:
    config = state.config
    mirror_name = next(iter(config.mirror_traffic), None)
    return {
        "endpoint": state.endpoint,
        "deployments": {
            name: {
                "traffic": config.traffic.get(name, 0),
                "instances": len(entry.instances),
                "healthy_instances": entry.healthy_instances,
                "stats": asdict(entry.stats),
            }
            for name, entry in state.deployments.items()
        },
        "mirror": {
            "deployment": mirror_name,
            "share": config.mirror_traffic.get(mirror_name, 0) if mirror_name else 0,
            "stats": asdict(state.mirror.stats),
            "dropped": state.mirror.dropped,
        },
    }
