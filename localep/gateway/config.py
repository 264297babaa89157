"""The gateway's configuration file: what the CLI writes and the control API rewrites on every live change.

One JSON file per endpoint (0600: it holds the keys). The daemon reads it at start and saves it after each
accepted change, so a restarted gateway comes back with the traffic, keys and deployments it had.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from localep.datacollect.payload import PayloadLogging, payload_logging_from_dict
from localep.errors import Location, SpecError
from localep.fileio import atomic_write_json
from localep.jsonfile import read_json
from localep.protocol import AZUREML_PROTOCOL, ENDPOINT_AUTH_MODES, KEY_AUTH, KSERVE_PREFIX, NO_AUTH, SCORING_PATH, SERVER_PROTOCOLS
from localep.yamlspec.model import RequestSettings
from localep.yamlspec.traffic import mirror_problems, traffic_problems

AUTH_MODES = (*ENDPOINT_AUTH_MODES, NO_AUTH)
CLOUD_REQUEST_SETTINGS = RequestSettings()
# The largest request body the endpoint reads (413 above it); `localep up --max-body-mb` changes it.
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Liveness:
    """Seconds, as in the deployment YAML's `liveness_probe` (cloud defaults); `path` differs only for BYOC."""

    initial_delay: float = 10
    period: float = 10
    timeout: float = 2
    failure_threshold: int = 30
    success_threshold: int = 1
    path: str = "/"


@dataclass(frozen=True)
class Autoscale:
    """Kubernetes `scale_settings: target_utilization` (gateway/autoscale.py runs it)."""

    min_instances: int = 1
    max_instances: int = 1
    polling_interval: float = 1
    target_utilization_percentage: int = 70


@dataclass(frozen=True)
class DeploymentRoute:
    """Where one deployment's instances listen and the request settings the endpoint enforces for it."""

    upstreams: List[str]
    request_timeout_ms: int = CLOUD_REQUEST_SETTINGS.request_timeout_ms
    max_concurrent_requests_per_instance: int = CLOUD_REQUEST_SETTINGS.max_concurrent_requests_per_instance
    max_queue_wait_ms: int = CLOUD_REQUEST_SETTINGS.max_queue_wait_ms
    liveness: Liveness = field(default_factory=Liveness)
    containers: List[str] = field(default_factory=list)
    scoring_path: str = SCORING_PATH
    protocol: str = AZUREML_PROTOCOL  # ServerSpec.protocol: "kserve" deployments also serve /v2/...
    payload_logging: Optional[PayloadLogging] = None  # data_collector's request/response collections
    # Set for target_utilization deployments: `upstreams` then lists max_instances, the first initial_instances run.
    autoscale: Optional[Autoscale] = None

    @property
    def initial_instances(self) -> int:
        return len(self.upstreams) if self.autoscale is None else max(1, self.autoscale.min_instances)
    # Under `up --debug`: debugpy's port inside the (first) container, and the relay command `docker exec` runs there
    # for each debugger connection to the owner-only bridges (gateway/debugbridge.py).
    debug_port: Optional[int] = None
    debug_relay: List[str] = field(default_factory=list)

    def upstream_path(self, path: str) -> str:
        """The endpoint's `/score` is the deployment's scoring route (a BYOC image may serve it elsewhere);
        `/score/v2/...` is the server's own `/v2/...`."""
        route, mark, query = path.partition("?")
        if route.startswith(SCORING_PATH + KSERVE_PREFIX + "/"):
            return path[len(SCORING_PATH):]
        if route != SCORING_PATH or self.scoring_path == SCORING_PATH:
            return path
        return self.scoring_path + mark + query

    @property
    def capacity(self) -> int:
        """Requests allowed in flight at once, as the cloud counts them."""
        return 2 * self.max_concurrent_requests_per_instance * len(self.upstreams)


@dataclass(frozen=True)
class Keys:
    primary: str = ""
    secondary: str = ""


@dataclass(frozen=True)
class GatewayConfig:
    endpoint: str
    port: int
    host: str = "127.0.0.1"
    auth_mode: str = KEY_AUTH
    keys: Keys = field(default_factory=Keys)
    traffic: Dict[str, int] = field(default_factory=dict)
    mirror_traffic: Dict[str, int] = field(default_factory=dict)
    deployments: Dict[str, DeploymentRoute] = field(default_factory=dict)
    raw_errors: bool = False
    record_path: Optional[str] = None
    token_secret: str = ""
    # The control channel: a Unix socket in the endpoint's 0700 state folder, reachable only by its user.
    control_socket: Optional[str] = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Sent to the deployment containers as UPSTREAM_SECRET_HEADER: they answer only the endpoint (0600 file, never shown).
    upstream_secret: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def new_key() -> str:
    return secrets.token_urlsafe(32)


def deployment_from_dict(name: str, data: Mapping[str, Any]) -> DeploymentRoute:
    """Build a deployment entry, filling what is missing with the cloud's defaults."""
    if not isinstance(data, Mapping):
        raise ValueError(f"deployment {name!r} must be an object")
    fields = dict(data)
    unknown = set(fields) - set(DeploymentRoute.__dataclass_fields__)
    if unknown:
        raise ValueError(f"deployment {name!r} has unknown fields: {', '.join(sorted(unknown))}")
    upstreams = fields.get("upstreams")
    if not isinstance(upstreams, list) or not upstreams or not all(isinstance(u, str) for u in upstreams):
        raise ValueError(f"deployment {name!r} needs 'upstreams': a non-empty list of URLs")
    liveness = fields.pop("liveness", None) or {}
    unknown_probe = set(liveness) - set(Liveness.__dataclass_fields__)
    if unknown_probe:
        raise ValueError(f"deployment {name!r} liveness has unknown fields: {', '.join(sorted(unknown_probe))}")
    autoscale = fields.pop("autoscale", None)
    fields["payload_logging"] = payload_logging_from_dict(fields.get("payload_logging"))
    route = DeploymentRoute(liveness=Liveness(**liveness), autoscale=Autoscale(**autoscale) if autoscale else None,
                            **fields)
    for setting in ("request_timeout_ms", "max_concurrent_requests_per_instance"):
        if int(getattr(route, setting)) <= 0:
            raise ValueError(f"deployment {name!r}: {setting} must be positive")
    if route.protocol not in SERVER_PROTOCOLS:
        raise ValueError(f"deployment {name!r}: protocol must be one of {', '.join(SERVER_PROTOCOLS)}")
    return route


def config_from_dict(data: Mapping[str, Any]) -> GatewayConfig:
    fields = dict(data)
    unknown = set(fields) - set(GatewayConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    fields["keys"] = Keys(**(fields.get("keys") or {}))
    fields["deployments"] = {
        name: deployment_from_dict(name, entry) for name, entry in (fields.get("deployments") or {}).items()
    }
    config = GatewayConfig(**fields)
    if config.auth_mode not in AUTH_MODES:
        raise ValueError(f"auth_mode must be one of {', '.join(AUTH_MODES)}, not {config.auth_mode!r}")
    check_traffic(config.traffic, config.deployments)
    check_mirror(config.mirror_traffic, config.deployments)
    return config


def check_traffic(traffic: Mapping[str, Any], deployments: Mapping[str, DeploymentRoute]) -> Dict[str, int]:
    """The cloud's rules for `traffic`: known deployments, whole percentages 0..100, sum <= 100."""
    checked = _percentages("traffic", traffic, deployments)
    for _, message in traffic_problems(checked):
        raise ValueError(message)
    return checked


def check_mirror(mirror: Mapping[str, Any], deployments: Mapping[str, DeploymentRoute]) -> Dict[str, int]:
    """The cloud's rules for `mirror_traffic`: one deployment at most, at most 50%."""
    checked = {name: pct for name, pct in _percentages("mirror_traffic", mirror, deployments).items() if pct}
    for _, message in mirror_problems(checked):
        raise ValueError(message)
    return checked


def _percentages(what: str, values: Any, deployments: Mapping[str, DeploymentRoute]) -> Dict[str, int]:
    if not isinstance(values, Mapping):
        raise ValueError(f"{what} must be an object mapping deployment names to percentages")
    checked: Dict[str, int] = {}
    for name, pct in values.items():
        if name not in deployments:
            known = ", ".join(sorted(deployments)) or "none"
            raise ValueError(f"{what} names deployment {name!r}, which this endpoint does not have (known: {known})")
        if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
            raise ValueError(f"{what} for {name!r} must be a whole percentage between 0 and 100, not {pct!r}")
        checked[name] = pct
    return checked


def with_token_secret(config: GatewayConfig) -> GatewayConfig:
    """Tokens stay valid across gateway restarts only if the signing secret is kept in the file."""
    return config if config.token_secret else replace(config, token_secret=secrets.token_hex(32))


def load_config(path: Union[str, Path]) -> GatewayConfig:
    path = Path(path)
    data = read_json(path, SpecError, "gateway config")
    try:
        return config_from_dict(data)
    except (TypeError, ValueError) as error:
        raise SpecError(f"invalid gateway config: {error}", Location(path)) from None


def save_config(config: GatewayConfig, path: Union[str, Path]) -> None:
    """Atomic (a reader or a crash never sees half a file) and 0600 (it holds the keys)."""
    atomic_write_json(path, config.to_dict(), private=True)
