"""The one owner of an endpoint's state and its gateway's lifecycle: start the gateway for a new endpoint, attach
and detach deployments, stop it; the endpoint's remembered port and its keys.

Where the gateway runs (pid, port, config, log, control socket) and the keys live in the endpoint's typed state
file (`runtime/state.py`), so any shell finds it; `running_gateway` double-checks with the process itself before
trusting that file. Nothing else reads or writes that file.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

import docker

from localep.datacollect.plan import payload_logging
from localep.dockerclient import docker_client
from localep.errors import LocalepError
from localep.fileio import append_whole, make_dirs
from localep.gateway.client import ControlClient, GatewayRejected, GatewayUnreachable
from localep.gateway.config import (
    DEFAULT_MAX_BODY_BYTES,
    Autoscale,
    DeploymentRoute,
    GatewayConfig,
    Keys,
    Liveness,
    new_key,
    save_config,
    with_token_secret,
)
from localep.gateway.debugbridge import debug_socket_path
from localep.gateway.process import is_gateway_process, start_gateway, stop_gateway
from localep.gateway.status import GatewayStatus
from localep.images.kinds.base import ServerSpec
from localep.progress import Reporter
from localep.protocol import AAD_TOKEN_AUTH, AML_TOKEN_AUTH, KEY_AUTH, NO_AUTH
from localep.runtime import containers, labels
from localep.runtime.gateway_container import gateway_container_state, remove_gateway_container, start_gateway_container
from localep.runtime.plan import DEBUG_TIMEOUT_MS, ContainerPlan, debug_relay_command
from localep.runtime.secret import upstream_secret
from localep.runtime.state import EndpointState, GatewayRecord, endpoint_dir, load_state, recorded_gateways, save_state
from localep.yamlspec.model import Deployment, Endpoint

LOCAL_AUTH_MODES = {KEY_AUTH: KEY_AUTH, AML_TOKEN_AUTH: AML_TOKEN_AUTH, AAD_TOKEN_AUTH: AML_TOKEN_AUTH}


CONTROL_SOCKET = "control.sock"
RECORDING_STAGING = "recording.jsonl"  # what a gateway container records for `localep record` to copy on


@dataclass(frozen=True)
class GatewayHandle:
    endpoint: str
    pid: int  # the supervisor's
    port: int
    control: ControlClient

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def running_gateway(endpoint: str) -> Optional[GatewayHandle]:
    recorded = load_state(endpoint).gateway
    if recorded is None or (recorded.container is None and not is_gateway_process(recorded.pid)):
        return None
    control = ControlClient(recorded.control)
    try:
        state = ControlClient(recorded.control, timeout_s=2.0).state()  # alive, and ours
    except (GatewayUnreachable, GatewayRejected):
        return None
    # A host-side gateway names its supervisor; one in a container answers on the socket in our own 0700 folder.
    ours = state.endpoint == endpoint if recorded.container else state.supervisor == recorded.pid
    if not ours:
        return None
    return GatewayHandle(endpoint, recorded.pid, recorded.port, control)


def gateway_problem(client: docker.DockerClient, endpoint: str) -> Optional[str]:
    """What is missing while an endpoint's gateway does not answer, and for how long (None when it answers)."""
    recorded = load_state(endpoint).gateway
    if recorded is None:
        return "no gateway: `localep up` starts one"
    if running_gateway(endpoint) is not None:
        return None
    if recorded.container is None:
        return f"the gateway process (pid {recorded.pid}) is gone: `localep up` starts it again"
    state = gateway_container_state(client, recorded.container)
    if state is None:
        return f"the gateway container {recorded.container} was removed: `localep up` starts it again"
    status = str(state.get("Status"))
    since = str(state.get("StartedAt") if status == "running" else state.get("FinishedAt"))
    doing = "starting" if status == "running" else status
    return f"the gateway container {recorded.container} is {doing}, not answering for {_seconds_since(since)}"


def _seconds_since(timestamp: str) -> str:
    """docker's RFC 3339 time (nanoseconds, Z) to "12s ago"-style text; "a while" when it cannot be read."""
    try:
        moment = datetime.datetime.fromisoformat(timestamp[:19]).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "a while"
    return f"{max(0.0, (datetime.datetime.now(datetime.timezone.utc) - moment).total_seconds()):.0f}s"


def gateway_state(endpoint: str) -> Optional[GatewayStatus]:
    """The running gateway's own view (config, deployments, instances, stats); None when it does not run."""
    gateway = running_gateway(endpoint)
    if gateway is None:
        return None
    try:
        return gateway.control.state()
    except (GatewayUnreachable, GatewayRejected):
        return None


def endpoint_keys(endpoint: str, regenerate: Sequence[str] = ()) -> Keys:
    """The endpoint's two keys, made once and kept across restarts (like the cloud's), read from the user's own
    0600 state file: the gateway never hands them out."""
    state = load_state(endpoint)
    keys = _keys(state.keys, regenerate)
    if vars(keys) != state.keys:
        save_state(endpoint, replace(state, keys=vars(keys)))
    return keys


def store_key(endpoint: str, which: str, value: str) -> Keys:
    """Set one key to a value the user chose (`az ml online-endpoint regenerate-keys --key-value`)."""
    state = load_state(endpoint)
    keys = Keys(**{**vars(_keys(state.keys)), which: value})
    save_state(endpoint, replace(state, keys=vars(keys)))
    return keys


def _keys(stored: Dict[str, str], regenerate: Sequence[str] = ()) -> Keys:
    keys = {name: stored.get(name) or new_key() for name in ("primary", "secondary")}
    for name in regenerate:
        keys[name] = new_key()
    return Keys(**keys)


def private_endpoint_dir(endpoint: str) -> Path:
    """The endpoint's state folder, 0700: it holds the keys and the control socket."""
    folder = make_dirs(endpoint_dir(endpoint), private=True)
    os.chmod(folder, 0o700)  # made by an older localep, before everything under $LOCALEP_HOME was private
    return folder


def deployment_route(deployment: Deployment, upstreams: List[str], container_names: List[str],
                     server: ServerSpec, debug_port: Optional[int]) -> DeploymentRoute:
    """The gateway's view of a deployment; while debugging (`debug_port`: debugpy's port in the container), a paused
    breakpoint must not turn into a 408, and the gateway offers the owner-only ways to debugpy."""
    debugging = debug_port is not None
    settings = deployment.request_settings
    probe = deployment.liveness_probe
    return DeploymentRoute(
        upstreams=upstreams,
        request_timeout_ms=DEBUG_TIMEOUT_MS if debugging else settings.request_timeout_ms,
        max_concurrent_requests_per_instance=settings.max_concurrent_requests_per_instance,
        max_queue_wait_ms=settings.max_queue_wait_ms,
        liveness=Liveness(initial_delay=probe.initial_delay, period=probe.period, timeout=probe.timeout,
                          failure_threshold=probe.failure_threshold, success_threshold=probe.success_threshold,
                          path=server.liveness_path),
        containers=container_names,
        scoring_path=server.scoring_path,
        protocol=server.protocol,
        autoscale=autoscale_of(deployment),
        payload_logging=payload_logging(deployment),
        debug_port=debug_port,
        debug_relay=debug_relay_command(debug_port) if debug_port is not None else [],
    )


def debug_port_of(container_labels: Dict[str, str]) -> Optional[int]:
    port = container_labels.get(labels.DEBUG_PORT)
    return int(port) if port else None


def debug_socket(endpoint: str, deployment: str) -> Path:
    """The owner-only Unix socket the gateway offers for debugging `deployment` (`ps --json`: debug_socket)."""
    return debug_socket_path(endpoint_dir(endpoint), deployment)


def autoscale_of(deployment: Deployment) -> Optional[Autoscale]:
    """The gateway's autoscale settings for a Kubernetes `scale_settings: target_utilization` deployment."""
    scale = deployment.scale_settings
    if deployment.kind != "kubernetes" or scale.type != "target_utilization":
        return None
    return Autoscale(min_instances=scale.min_instances, max_instances=scale.max_instances,
                     polling_interval=scale.polling_interval,
                     target_utilization_percentage=scale.target_utilization_percentage)


class RoutedInstance(Protocol):
    """What the gateway needs of a running instance (`deploy.RunningInstance` is one; no import back up)."""

    @property
    def deployment(self) -> Deployment: ...

    @property
    def plan(self) -> ContainerPlan: ...

    @property
    def upstream_url(self) -> str: ...


def routes_of(instances: Sequence[RoutedInstance]) -> Dict[str, DeploymentRoute]:
    """One route per deployment from its running instances."""
    grouped: Dict[str, List[RoutedInstance]] = {}
    for instance in instances:
        grouped.setdefault(instance.deployment.name, []).append(instance)
    return {
        name: deployment_route(members[0].deployment, [m.upstream_url for m in members], [m.plan.name for m in members],
                               members[0].plan.server, debug_port_of(members[0].plan.labels))
        for name, members in grouped.items()
    }


def known_shares(shares: Dict[str, int], names: Sequence[str], what: str, reporter: Optional[Reporter]) -> Dict[str, int]:
    """The cloud rejects traffic naming absent deployments; locally the others just are not running (yet)."""
    missing = sorted(set(shares) - set(names))
    if missing and reporter is not None:
        reporter.warn(f"{what} names {', '.join(missing)}, not running here: their share is not served "
                      f"until you `localep up` them")
    return {name: share for name, share in shares.items() if name in names}


@dataclass(frozen=True)
class ContainerLaunch:
    """Run the gateway as a container of `image` (runtime/gateway_container.py) instead of a host process."""

    client: docker.DockerClient
    image: str


def start_endpoint_gateway(endpoint: Endpoint, port: int, instances: Sequence[RoutedInstance], auth: bool, raw_errors: bool,
                           record_path: Optional[str], reporter: Optional[Reporter] = None,
                           max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                           launch: Optional[ContainerLaunch] = None) -> GatewayHandle:
    routes = routes_of(instances)
    folder = private_endpoint_dir(endpoint.name)
    control_socket = str(folder / CONTROL_SOCKET)
    state = load_state(endpoint.name)
    keys = _keys(state.keys)
    config = GatewayConfig(
        endpoint=endpoint.name,
        port=port,
        auth_mode=LOCAL_AUTH_MODES.get(endpoint.auth_mode, KEY_AUTH) if auth else NO_AUTH,
        keys=keys,
        traffic=known_shares(endpoint.traffic, list(routes), "traffic", reporter),
        mirror_traffic=known_shares(endpoint.mirror_traffic, list(routes), "mirror_traffic", reporter),
        deployments=routes,
        raw_errors=raw_errors,
        record_path=record_path,
        control_socket=control_socket,
        max_body_bytes=max_body_bytes,
        upstream_secret=upstream_secret(endpoint.name),
    )
    config_path, log_path = folder / "gateway.json", folder / "gateway.log"
    pid, container = 0, None
    if launch is not None:
        save_config(with_token_secret(config), config_path)  # the gateway need not rewrite it at start
        container = start_gateway_container(launch.client, endpoint.name, launch.image, config_path, log_path,
                                            control_socket, record_path)
    else:
        pid = start_gateway(config, config_path, log_path)
    # One write for everything this `up` decided: the port, the keys, the split and where the gateway runs.
    save_state(endpoint.name, EndpointState(
        port=port, keys=vars(keys),
        gateway=GatewayRecord(pid=pid, port=port, config=str(config_path), log=str(log_path), control=control_socket,
                              container=container),
        traffic=dict(endpoint.traffic), mirror_traffic=dict(endpoint.mirror_traffic)))
    return GatewayHandle(endpoint.name, pid, port, ControlClient(control_socket))


def attach_deployments(gateway: GatewayHandle, endpoint: Optional[Endpoint], instances: Sequence[RoutedInstance],
                       reporter: Optional[Reporter] = None) -> None:
    """Add or replace deployments on a running gateway; an explicit endpoint file also sets its traffic."""
    state = None
    for name, route in routes_of(instances).items():
        state = gateway.control.put_deployment(name, route)
    if endpoint is not None and endpoint.file is not None:
        known = list((state or gateway.control.state()).config.deployments)
        gateway.control.set_traffic(known_shares(endpoint.traffic, known, "traffic", reporter))
        gateway.control.set_mirror(known_shares(endpoint.mirror_traffic, known, "mirror_traffic", reporter))
        _record_shares(gateway.endpoint, endpoint.traffic, endpoint.mirror_traffic)


def detach_deployment(endpoint: str, deployment: str) -> None:
    """Take a deployment off its gateway; the last one to go stops the gateway."""
    gateway = running_gateway(endpoint)
    if gateway is None:
        return
    try:
        state = gateway.control.delete_deployment(deployment)
    except GatewayRejected:
        state = gateway.control.state()
    if not state.config.deployments:
        stop_endpoint_gateway(endpoint)


def stop_endpoint_gateway(endpoint: str) -> bool:
    state = load_state(endpoint)
    if state.gateway is None:
        return False
    if state.gateway.container is not None:
        stopped = remove_gateway_container(docker_client(), state.gateway.container)
    else:
        stopped = stop_gateway(state.gateway.pid)
    save_state(endpoint, replace(state, gateway=None))
    return stopped


def gateway_log(endpoint: str) -> Optional[Path]:
    recorded = load_state(endpoint).gateway
    return Path(recorded.log) if recorded is not None else None


def all_endpoints(client: docker.DockerClient) -> List[str]:
    """Every endpoint with a container or a recorded gateway on this machine."""
    names = {c.labels.get(labels.ENDPOINT, "") for c in containers.find(client)}
    names |= set(recorded_gateways())
    return sorted(n for n in names if n)


def replace_key(name: str, which: str, value: Optional[str] = None) -> Keys:
    """A new random key (or `value`) for `which`; a running endpoint accepts it at once."""
    keys = endpoint_keys(name, regenerate=[which]) if value is None else store_key(name, which, value)
    gateway = running_gateway(name)
    if gateway is not None:
        gateway.control.set_keys(**{which: getattr(keys, which)})
    return keys


def endpoint_token(name: str) -> Optional[Dict[str, Any]]:
    """A fresh token from a running aml_token endpoint; None for other endpoints."""
    gateway = running_gateway(name)
    if gateway is None or gateway.control.state().config.auth_mode != AML_TOKEN_AUTH:
        return None
    return gateway.control.issue_token()


def apply_shares(name: str, route: str, shares: Dict[str, int]) -> GatewayConfig:
    """Set a running endpoint's "traffic" or "mirror" split at once, and record it; returns the gateway's new config."""
    gateway = running_gateway(name)
    if gateway is None:
        raise LocalepError(f"no running local endpoint {name!r} (see `localep ps`)")
    config = _push_shares(gateway, route, shares)
    if route == "traffic":
        _record_shares(name, traffic=shares)
    else:
        _record_shares(name, mirror=shares)
    return config


def endpoint_shares(name: str) -> Tuple[Dict[str, int], Dict[str, int]]:
    """The endpoint's (traffic, mirror_traffic) as last set, whether or not it runs."""
    state = load_state(name)
    return dict(state.traffic), dict(state.mirror_traffic)


def set_shares(name: str, traffic: Dict[str, int], mirror: Dict[str, int]) -> None:
    """Record the endpoint's split; a running gateway serves at once the part naming deployments it runs."""
    _record_shares(name, traffic, mirror)
    gateway = running_gateway(name)
    if gateway is None:
        return
    serving = set(gateway.control.state().config.deployments)
    _push_shares(gateway, "traffic", {k: v for k, v in traffic.items() if k in serving})
    _push_shares(gateway, "mirror", {k: v for k, v in mirror.items() if k in serving})


def _push_shares(gateway: GatewayHandle, route: str, shares: Dict[str, int]) -> GatewayConfig:
    try:
        state = gateway.control.set_traffic(shares) if route == "traffic" else gateway.control.set_mirror(shares)
    except GatewayRejected as error:
        raise LocalepError(f"{gateway.endpoint}: {error}") from None
    return state.config


def _record_shares(name: str, traffic: Optional[Dict[str, int]] = None, mirror: Optional[Dict[str, int]] = None) -> None:
    state = load_state(name)
    if traffic is not None:
        state = replace(state, traffic=dict(traffic))
    if mirror is not None:
        state = replace(state, mirror_traffic={k: v for k, v in mirror.items() if v > 0})
    save_state(name, state)


@dataclass
class RecordingRelay:
    """A gateway in a container writes only into folders mounted when it started: `localep record` to any other
    file has it record into the endpoint's own folder, and copies the whole lines written there on to the file."""

    staging: Path
    target: Path
    offset: int = 0

    def copy(self) -> None:
        try:
            with open(self.staging, "rb") as stream:
                stream.seek(self.offset)
                data = stream.read()
        except FileNotFoundError:
            return
        whole = data[:data.rfind(b"\n") + 1]
        if whole:
            append_whole(self.target, whole, private=True)
            self.offset += len(whole)


def start_recording(gateway: GatewayHandle, path: Path) -> Optional[RecordingRelay]:
    """Have the running gateway record to `path`; the relay to call while it records, when one is needed."""
    recorded = load_state(gateway.endpoint).gateway
    if recorded is None or recorded.container is None:
        gateway.control.set_record(str(path))
        return None
    staging = endpoint_dir(gateway.endpoint) / RECORDING_STAGING
    staging.unlink(missing_ok=True)
    gateway.control.set_record(str(staging))
    return RecordingRelay(staging, path)


def stop_recording(gateway: GatewayHandle, relay: Optional[RecordingRelay]) -> None:
    gateway.control.set_record(None)
    if relay is not None:
        relay.copy()
        relay.staging.unlink(missing_ok=True)
