"""What a running gateway reports about itself, typed: built by the server, sent as JSON over the control socket,
read back by `gateway.client` into the same classes, so `ps`, `stats`, az and the runtime read fields, not keys.

The config in it is the gateway's own without the secrets (keys, token secret and upstream secret are empty here:
they stay in 0600 files).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from localep.gateway.config import GatewayConfig, config_from_dict


@dataclass(frozen=True)
class Latency:
    window: int = 0  # how many recent requests the percentiles are over
    p50: Optional[float] = None
    p95: Optional[float] = None
    p99: Optional[float] = None


@dataclass(frozen=True)
class TrafficSnapshot:
    requests: int = 0
    errors: int = 0  # answers with status >= 400
    status_counts: Dict[str, int] = field(default_factory=dict)
    error_reasons: Dict[str, int] = field(default_factory=dict)
    latency_ms: Latency = field(default_factory=Latency)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> TrafficSnapshot:
        return TrafficSnapshot(**{**data, "latency_ms": Latency(**data.get("latency_ms", {}))})


@dataclass(frozen=True)
class InstanceStatus:
    """One container of a deployment, as its liveness probe and the instance keeper see it."""

    upstream: str
    container: Optional[str] = None
    healthy: bool = True
    probed: bool = False
    consecutive_failures: int = 0
    last_error: Optional[str] = None
    restarts: int = 0
    restarting: bool = False
    crash_looping: bool = False
    exit_reason: Optional[str] = None
    parked: bool = False  # stopped by autoscale, out of rotation
    draining: bool = False  # leaving the rotation: stopped once its last request finished
    in_flight: int = 0


@dataclass(frozen=True)
class DeploymentStatus:
    instances: List[InstanceStatus]
    capacity: int
    healthy_instances: int
    protocol: str
    stats: TrafficSnapshot
    running_instances: int = 0  # in rotation (autoscale changes it)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> DeploymentStatus:
        return DeploymentStatus(**{**data, "instances": [InstanceStatus(**entry) for entry in data["instances"]],
                                   "stats": TrafficSnapshot.from_dict(data["stats"])})


@dataclass(frozen=True)
class Connections:
    open: int
    refused: int
    evicted: int
    limit: int


@dataclass(frozen=True)
class MirrorStatus:
    deployment: Optional[str]
    stats: TrafficSnapshot
    dropped: int
    pending: int


@dataclass(frozen=True)
class RecordingStatus:
    path: Optional[str]
    dropped: int
    failed: int
    pending: int


@dataclass(frozen=True)
class GatewayStatus:
    pid: int  # the serving process
    supervisor: Optional[int]  # the process that restarts it (None when run without one)
    endpoint: str
    url: str
    started_at: float
    config: GatewayConfig
    connections: Connections
    deployments: Dict[str, DeploymentStatus]
    mirror: MirrorStatus
    recording: RecordingStatus

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        del data["config"]["keys"], data["config"]["token_secret"], data["config"]["upstream_secret"]
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> GatewayStatus:
        mirror = data["mirror"]
        return GatewayStatus(**{
            **data,
            "config": config_from_dict(data["config"]),
            "connections": Connections(**data["connections"]),
            "deployments": {name: DeploymentStatus.from_dict(entry) for name, entry in data["deployments"].items()},
            "mirror": MirrorStatus(**{**mirror, "stats": TrafficSnapshot.from_dict(mirror["stats"])}),
            "recording": RecordingStatus(**data["recording"]),
        })
