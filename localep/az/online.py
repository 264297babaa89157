"""`az ml online-endpoint` and `az ml online-deployment`, each verb a thin call into what `localep up`, `down`,
`invoke`, `keys`, `traffic` and `logs` do, answering the cloud's document shapes.

provisioning_state is measured, not assumed: a deployment is "Succeeded" only while its containers answer
their readiness route now; otherwise "Failed", with the reason in `provisioning_error`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import requests

from localep.az import store
from localep.az.errors import AzError, AzExit, not_found
from localep.az.output import RawText
from localep.az.store import FAILED, SUCCEEDED, DeploymentRecord, EndpointRecord
from localep.dockerclient import docker_client
from localep.errors import LocalepError
from localep.gateway.status import GatewayStatus
from localep.images.settings import current_settings
from localep.progress import Reporter
from localep.protocol import KEY_AUTH, NO_AUTH
from localep.runtime import containers, labels
from localep.runtime.deploy import UpOptions, deploy, remove_endpoint
from localep.runtime.endpoints import endpoint_address, score
from localep.runtime.gateway_link import (
    all_endpoints,
    endpoint_keys,
    endpoint_shares,
    endpoint_token,
    gateway_state,
    replace_key,
    running_gateway,
    set_shares,
)
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.logs import stream_lines
from localep.runtime.plan import DebugOptions
from localep.runtime.ports import endpoint_port
from localep.runtime.secret import upstream_credential
from localep.runtime.state import remembered_port
from localep.yamlspec import check_runnable_locally, load_deployment, read_document, read_endpoint
from localep.yamlspec.diagnostics import raise_first_error
from localep.yamlspec.model import Deployment, Endpoint, Project
from localep.yamlspec.traffic import mirror_problems, parse_shares, traffic_problems
from localep.yamlspec.yamlio import Document, apply_overrides

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
WORKSPACE_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/local/providers/"
                "Microsoft.MachineLearningServices/workspaces/local")
PROBE_TIMEOUT_S = 2.0
INVOKE_TIMEOUT_S = 90.0


# ---- shared pieces ----------------------------------------------------------------------------------------------

def _record(name: str) -> EndpointRecord:
    record = store.load_endpoint(name)
    if record is None:
        raise not_found(f"Local endpoint ({name})")
    return record


def confirm(args: argparse.Namespace, what: str) -> None:
    """az asks before deleting; without a terminal it refuses unless told --yes."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise AzError("Unable to prompt for confirmation as no tty available. Use --yes.")
    answer = input(f"{what}\nAre you sure you want to perform this operation? (y/n): ")
    if answer.strip().lower() not in ("y", "yes"):
        raise AzError("Operation cancelled.")


def parse_split(text: Optional[str], flag: str) -> Dict[str, int]:
    """az's "blue=90 green=10" (spaces or commas between pairs), read as `localep traffic` reads its pairs."""
    try:
        return parse_shares((text or "").replace(",", " ").split())
    except LocalepError as error:
        raise AzError(f"{flag}: {error}", AzExit.USAGE) from None


# ---- online endpoints -------------------------------------------------------------------------------------------

def _endpoint_from_yaml(file: Optional[str], name: Optional[str], overrides: List[str]) -> Endpoint:
    if file is None:
        if not name:
            raise AzError("the following arguments are required: --name/-n (or --file/-f)", AzExit.USAGE)
        return Endpoint(name=name, file=None)
    document = read_document(Path(file))
    document, problems = apply_overrides(document, ([f"name={name}"] if name else []) + overrides)
    endpoint, more = read_endpoint(document)
    raise_first_error(problems + more)
    assert endpoint is not None
    return endpoint


def endpoint_create(args: argparse.Namespace) -> Dict[str, Any]:
    endpoint = _endpoint_from_yaml(args.file, args.name, args.set or [])
    existing = store.load_endpoint(endpoint.name)
    record = existing or EndpointRecord(name=endpoint.name, created_at=store.now())
    record.local = bool(args.local) or (existing is not None and existing.local)
    record.auth_mode = endpoint.auth_mode
    record.description = endpoint.description
    record.tags = dict(endpoint.tags)
    record.file = str(Path(args.file).resolve()) if args.file else None
    traffic, mirror = endpoint_shares(endpoint.name) if existing is not None else ({}, {})
    if endpoint.traffic or existing is None:
        traffic = dict(endpoint.traffic)
    if endpoint.mirror_traffic or existing is None:
        mirror = dict(endpoint.mirror_traffic)
    _check_shares(record, traffic, mirror)
    if remembered_port(endpoint.name) is None:
        endpoint_port(docker_client(), endpoint.name, None)  # the scoring_uri is known (and stable) from now on
    store.save_endpoint(record)
    set_shares(endpoint.name, traffic, mirror)
    return endpoint_document(endpoint.name)


def endpoint_update(args: argparse.Namespace) -> Dict[str, Any]:
    name = args.name
    if args.file:
        endpoint = _endpoint_from_yaml(args.file, name, args.set or [])
        name = endpoint.name
    if not name:
        raise AzError("the following arguments are required: --name/-n (or --file/-f)", AzExit.USAGE)
    record = _record(name)
    auth_before = record.auth_mode
    traffic, mirror = endpoint_shares(name)
    if args.file:
        record.auth_mode, record.description, record.tags = endpoint.auth_mode, endpoint.description, dict(endpoint.tags)
        if "traffic" in endpoint.lines:
            traffic = dict(endpoint.traffic)
        if "mirror_traffic" in endpoint.lines:
            mirror = dict(endpoint.mirror_traffic)
    elif args.set:
        traffic, mirror = _apply_endpoint_sets(record, traffic, mirror, args.set)
    if args.traffic is not None:
        traffic = parse_split(args.traffic, "--traffic")
    if args.mirror_traffic is not None:
        mirror = parse_split(args.mirror_traffic, "--mirror-traffic")
    _check_shares(record, traffic, mirror)
    store.save_endpoint(record)
    set_shares(name, traffic, mirror)
    if record.auth_mode != auth_before and running_gateway(name) is not None and not record.local:
        Reporter().warn(f"auth_mode {record.auth_mode} applies when {name} restarts: the running endpoint keeps "
                        f"{auth_before} (`localep down {name}`, then create its deployments again)")
    return endpoint_document(name)


def _apply_endpoint_sets(record: EndpointRecord, traffic: Dict[str, int], mirror: Dict[str, int],
                         sets: List[str]) -> Tuple[Dict[str, int], Dict[str, int]]:
    """--set on an endpoint without a file: the same path syntax, applied to its current definition; returns the
    endpoint's (traffic, mirror_traffic) after it."""
    data = {"name": record.name, "auth_mode": record.auth_mode, "traffic": dict(traffic),
            "mirror_traffic": dict(mirror), "tags": dict(record.tags)}
    if record.description is not None:
        data["description"] = record.description
    document, problems = apply_overrides(Document(Path(record.file or f"<endpoint {record.name}>"), data), sets)
    endpoint, more = read_endpoint(document)
    raise_first_error(problems + more)
    assert endpoint is not None
    if endpoint.name != record.name:
        raise AzError("--set name: an endpoint cannot be renamed")
    record.auth_mode, record.description, record.tags = endpoint.auth_mode, endpoint.description, dict(endpoint.tags)
    return dict(endpoint.traffic), dict(endpoint.mirror_traffic)


def _check_shares(record: EndpointRecord, traffic: Dict[str, int], mirror: Dict[str, int]) -> None:
    """The cloud's rules (the ones `validate` and the gateway apply), checked against the recorded deployments
    before anything changes."""
    for what, shares in (("traffic", traffic), ("mirror_traffic", mirror)):
        unknown = sorted(set(shares) - set(record.deployments))
        if unknown:
            known = ", ".join(sorted(record.deployments)) or "none"
            raise AzError(f"{what} names deployment {unknown[0]!r}, which endpoint {record.name} does not have "
                          f"(known: {known})", code="BadArgument")
    problems = traffic_problems(traffic) + mirror_problems(mirror)
    if problems:
        raise AzError(f"endpoint {record.name}: {problems[0][1]}", code="BadArgument")


def endpoint_document(name: str) -> Dict[str, Any]:
    """The cloud's online endpoint document, from the local record and the running gateway."""
    record = store.load_endpoint(name)
    state = gateway_state(name)
    if record is None and state is None:
        raise not_found(f"Local endpoint ({name})")
    config = state.config if state is not None else None
    port = config.port if config is not None else remembered_port(name)
    base = f"http://127.0.0.1:{port}" if port else None
    served_auth = config.auth_mode if config is not None else None  # None: not running
    local = record.local if record else served_auth == NO_AUTH
    traffic, mirror = (config.traffic, config.mirror_traffic) if config is not None else endpoint_shares(name)
    auth_mode = record.auth_mode if record else served_auth or KEY_AUTH
    problem = _endpoint_problem(record, state)
    document = {
        "name": name,
        "auth_mode": auth_mode if auth_mode != NO_AUTH else KEY_AUTH,
        "description": record.description if record else None,
        "id": f"{WORKSPACE_ID}/onlineEndpoints/{name}",
        "identity": {"type": "system_assigned"},
        "kind": "Managed",
        "location": "local",
        "mirror_traffic": dict(mirror),
        "openapi_uri": f"{base}/swagger.json" if base else None,
        "properties": {"localep_created_with": "localep az" if record else "localep up",
                       "localep_requires_key": str(not local and (served_auth or auth_mode) != NO_AUTH).lower()},
        "provisioning_state": FAILED if problem else SUCCEEDED,
        "public_network_access": "enabled",
        "resourceGroup": "local",
        "scoring_uri": f"{base}/score" if base else None,
        "tags": dict(record.tags) if record else {},
        "traffic": dict(traffic),
    }
    if problem:
        document["provisioning_error"] = {"code": "EndpointNotAnswering", "message": problem}
    return document


def _endpoint_problem(record: Optional[EndpointRecord], state: Optional[GatewayStatus]) -> Optional[str]:
    """An endpoint fails when it has deployments that should run but nothing answers for them."""
    if record is None or state is not None:
        return None
    running = [d for d in record.deployments.values() if d.provisioning_state == SUCCEEDED]
    if running:
        return f"the endpoint's gateway is not running (deployments {', '.join(d.name for d in running)} not served)"
    return None


def endpoint_show(args: argparse.Namespace) -> Dict[str, Any]:
    return endpoint_document(args.name)


def endpoint_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    names = set(store.recorded_endpoints()) | set(all_endpoints(docker_client()))
    return [endpoint_document(name) for name in sorted(names)]


def endpoint_delete(args: argparse.Namespace) -> None:
    name = args.name
    known = store.load_endpoint(name) is not None or running_gateway(name) is not None
    client = docker_client()
    found = containers.find(client, name)
    if not known and not found:
        raise not_found(f"Local endpoint ({name})")
    confirm(args, f"Deleting local endpoint {name} and all its deployments.")
    remove_endpoint(client, name)
    store.delete_endpoint(name)
    return None


def endpoint_invoke(args: argparse.Namespace) -> str:
    record = store.load_endpoint(args.name)
    if record is None and running_gateway(args.name) is None:
        raise not_found(f"Local endpoint ({args.name})")
    if args.deployment_name and record is not None and args.deployment_name not in record.deployments:
        raise not_found(f"Deployment {args.deployment_name} of local endpoint ({args.name})")
    try:
        body = Path(args.request_file).read_bytes()
    except OSError as error:
        raise AzError(f"--request-file {args.request_file}: {error.strerror}") from None
    try:
        address = endpoint_address(args.name)
    except LocalepError:
        raise AzError(f"Local endpoint ({args.name}) has no running deployment to answer: "
                      f"`localep az ml online-deployment create` one first", code="EndpointNotAnswering") from None
    response = score(address, body, args.deployment_name, {}, INVOKE_TIMEOUT_S)
    if not 200 <= response.status_code < 300:
        reason = response.headers.get("ms-azureml-model-error-reason") or response.reason
        raise AzError(f"HTTP {response.status_code} ({reason}): {response.text.strip()}",
                      code="UserError" if response.status_code < 500 else "ServerError")
    return response.text


def endpoint_credentials(args: argparse.Namespace) -> Dict[str, Any]:
    if store.load_endpoint(args.name) is None and running_gateway(args.name) is None:
        raise not_found(f"Local endpoint ({args.name})")
    token = endpoint_token(args.name)
    if token is not None:
        return token
    keys = endpoint_keys(args.name)
    return {"primaryKey": keys.primary, "secondaryKey": keys.secondary}


def endpoint_regenerate_keys(args: argparse.Namespace) -> None:
    if store.load_endpoint(args.name) is None and running_gateway(args.name) is None:
        raise not_found(f"Local endpoint ({args.name})")
    replace_key(args.name, args.key_type, args.key_value)
    return None


# ---- online deployments -----------------------------------------------------------------------------------------

def _deployment_overrides(args: argparse.Namespace) -> List[str]:
    given = []
    if args.name:
        given.append(f"name={args.name}")
    if args.endpoint_name:
        given.append(f"endpoint_name={args.endpoint_name}")
    return given + list(args.set or [])


def _load(file: str, overrides: List[str]) -> Deployment:
    deployment = load_deployment(Path(file), overrides)
    check_runnable_locally(deployment)
    return deployment


def deployment_create(args: argparse.Namespace) -> Dict[str, Any]:
    if not args.file:
        raise AzError("the following arguments are required: --file/-f", AzExit.USAGE)
    overrides = _deployment_overrides(args)
    deployment = _load(args.file, overrides)
    return run_deployment(deployment, args.file, overrides, all_traffic=args.all_traffic, local=args.local)


def deployment_update(args: argparse.Namespace) -> Dict[str, Any]:
    """Without -f, the deployment's own YAML and earlier --set, plus the new --set on top."""
    if not args.file and not (args.name and args.endpoint_name):
        raise AzError("give --file/-f, or --name/-n and --endpoint-name/-e", AzExit.USAGE)
    endpoint = args.endpoint_name
    if endpoint is None:
        endpoint = load_deployment(Path(args.file), _deployment_overrides(args)).endpoint_name
    record = _record(endpoint)
    name = args.name or load_deployment(Path(args.file), _deployment_overrides(args)).name
    previous = record.deployments.get(name)
    if previous is None:
        raise not_found(f"Deployment {name} of local endpoint ({endpoint})")
    if args.file:
        file, overrides = args.file, _deployment_overrides(args)
    else:
        file, overrides = previous.file, previous.overrides + list(args.set or [])
    return run_deployment(_load(file, overrides), file, overrides, all_traffic=False, local=args.local)


def run_deployment(deployment: Deployment, file: str, overrides: List[str], all_traffic: bool, local: bool,
                   debug: Optional[DebugOptions] = None) -> Dict[str, Any]:
    """What `localep up --detach` does for one deployment, then the endpoint's recorded traffic is applied;
    `debug`: what `up --debug` does (localep.sdk's vscode_debug)."""
    name, endpoint_name = deployment.name, deployment.endpoint_name
    record = store.load_endpoint(endpoint_name)
    if record is None:
        reporter = Reporter()
        reporter.warn(f"endpoint {endpoint_name} was not created first; creating it"
                      + (" (--local: no key needed)" if local else " (key auth, as the cloud's default)"))
        record = EndpointRecord(name=endpoint_name, local=local, created_at=store.now())
    previous = record.deployments.get(name)
    entry = DeploymentRecord(name=name, file=str(Path(file).resolve()), overrides=overrides,
                             created_at=previous.created_at if previous else store.now())
    record.deployments[name] = entry
    traffic, mirror = endpoint_shares(endpoint_name)
    if all_traffic or (record.local and not _serving(record, traffic, exclude=name)):
        # az ml --local sends everything to the endpoint's (one) deployment: so does a --local endpoint whose
        # traffic no healthy deployment holds
        traffic = {other: 0 for other in traffic} | {name: 100}
    traffic.setdefault(name, 0)
    project = Project(
        endpoint=Endpoint(name=endpoint_name, file=None, auth_mode=record.auth_mode,
                          traffic={k: v for k, v in traffic.items() if k == name},
                          mirror_traffic={k: v for k, v in mirror.items() if k == name}),
        deployments=[deployment],
    )
    client = docker_client()
    options = UpOptions(build=current_settings(), auth=not record.local, debug=debug)
    try:
        with Lifecycle(client) as owned:
            deploy(client, project, options, Reporter(), owned)
            owned.keep()
    except (LocalepError, KeyboardInterrupt) as error:
        entry.provisioning_state, entry.error = FAILED, str(error).splitlines()[0] if str(error) else repr(error)
        store.save_endpoint(record)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise AzError(f"Local deployment ({endpoint_name} / {name}) failed: {error}", code="DeploymentFailed",
                      detail=getattr(error, "detail", "")) from None
    store.save_endpoint(record)
    set_shares(endpoint_name, traffic, mirror)
    return deployment_document(endpoint_name, name)


def _serving(record: EndpointRecord, traffic: Dict[str, int], exclude: str) -> List[str]:
    """Deployments other than `exclude` that hold live traffic and did not fail."""
    return [other for other, share in traffic.items() if share > 0 and other != exclude
            and other in record.deployments and record.deployments[other].provisioning_state == SUCCEEDED]


def scale_settings_document(deployment: Optional[Deployment]) -> Dict[str, Any]:
    """As the YAML says: `target_utilization` with its numbers (Kubernetes), else `default`."""
    if deployment is None or deployment.scale_settings.type != "target_utilization":
        return {"type": "default"}
    return asdict(deployment.scale_settings)


def deployment_document(endpoint_name: str, name: str) -> Dict[str, Any]:
    record = store.load_endpoint(endpoint_name)
    entry = record.deployments.get(name) if record else None
    found = containers.find(docker_client(), endpoint_name, name)
    if entry is None and not found:
        raise not_found(f"Deployment {name} of local endpoint ({endpoint_name})")
    deployment = None
    if entry is not None:
        try:
            deployment = load_deployment(Path(entry.file), entry.overrides)
        except LocalepError:
            deployment = None
    problem = entry.error if entry is not None and entry.provisioning_state == FAILED else _answer_problem(found)
    document: Dict[str, Any] = {
        "name": name,
        "endpoint_name": endpoint_name,
        "id": f"{WORKSPACE_ID}/onlineEndpoints/{endpoint_name}/deployments/{name}",
        "provisioning_state": FAILED if problem else SUCCEEDED,
        "resourceGroup": "local",
        "type": deployment.kind if deployment else "managed",
        # running containers: autoscale parks some of them
        "instance_count": sum(1 for c in found if c.status == "running") if found else (
            deployment.instance_count if deployment else 0),
        "scale_settings": scale_settings_document(deployment),
    }
    if problem:
        document["provisioning_error"] = {"code": "DeploymentNotAnswering", "message": problem}
    if deployment is not None:
        document.update(_deployment_fields(deployment))
    return document


def _answer_problem(found: List[Any]) -> Optional[str]:
    """Why the deployment does not answer right now, or None when every instance answers its readiness route."""
    if not found:
        return "no container runs for this deployment"
    for container in found:
        row = containers.describe(container)
        if row.status in ("exited", "dead"):
            exit_code = container.attrs.get("State", {}).get("ExitCode")
            return f"container {row.name} has {row.status} (exit code {exit_code})"
        if row.status != "running":
            return f"container {row.name} is {row.status}"
        base = containers.instance_url(container, int(row.labels.get(labels.SERVER_PORT, "5001")))
        if base is None:
            return f"container {row.name} has no address the host can reach"
        url = f"{base}{row.labels.get(labels.LIVENESS_PATH, '/')}"
        try:
            with requests.Session() as session:
                session.trust_env = False  # a container's address is never reached through a proxy
                status = session.get(url, headers=upstream_credential(row.endpoint), timeout=PROBE_TIMEOUT_S).status_code
        except requests.RequestException as error:
            return f"container {row.name} does not answer {url} ({type(error).__name__})"
        if status != 200:
            return f"container {row.name} answers {url} with HTTP {status}"
    return None


def _deployment_fields(deployment: Deployment) -> Dict[str, Any]:
    model, environment, code = deployment.model, deployment.environment, deployment.code_configuration
    return {
        "app_insights_enabled": deployment.app_insights_enabled,
        "code_configuration": {"code": str(code.code), "scoring_script": code.scoring_script} if code else None,
        "description": deployment.description,
        "environment": environment_field(environment),
        "environment_variables": dict(deployment.environment_variables),
        "instance_type": deployment.instance_type,
        "liveness_probe": vars(deployment.liveness_probe),
        "model": model_field(model),
        "readiness_probe": vars(deployment.readiness_probe),
        "request_settings": vars(deployment.request_settings),
        "tags": dict(deployment.tags),
    }


def model_field(model: Any) -> Any:
    if model is None:
        return None
    if model.registered_as or model.reference:
        return model.registered_as or model.reference
    return {"name": model.name, "version": model.version, "path": str(model.path), "type": model.type}


def environment_field(environment: Any) -> Any:
    if environment is None:
        return None
    if environment.registered_as or environment.reference:
        return environment.registered_as or environment.reference
    return {"image": environment.image, "conda_file": str(environment.conda_file) if environment.conda_file else None,
            "build": {"path": str(environment.build.path), "dockerfile_path": environment.build.dockerfile_path}
            if environment.build else None}


def deployment_show(args: argparse.Namespace) -> Dict[str, Any]:
    return deployment_document(args.endpoint_name, args.name)


def deployment_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    record = store.load_endpoint(args.endpoint_name)
    found = {c.labels.get(labels.DEPLOYMENT, "") for c in containers.find(docker_client(), args.endpoint_name)}
    if record is None and not found:
        raise not_found(f"Local endpoint ({args.endpoint_name})")
    names = sorted(set(record.deployments if record else ()) | found)
    return [deployment_document(args.endpoint_name, name) for name in names]


def deployment_delete(args: argparse.Namespace) -> None:
    record = store.load_endpoint(args.endpoint_name)
    client = docker_client()
    found = containers.find(client, args.endpoint_name, args.name)
    if (record is None or args.name not in record.deployments) and not found:
        raise not_found(f"Deployment {args.name} of local endpoint ({args.endpoint_name})")
    confirm(args, f"Deleting deployment {args.name} of local endpoint {args.endpoint_name}.")
    remove_endpoint(client, args.endpoint_name, args.name)
    if record is not None:
        record.deployments.pop(args.name, None)
        store.save_endpoint(record)
        traffic, mirror = endpoint_shares(args.endpoint_name)
        traffic.pop(args.name, None)
        mirror.pop(args.name, None)
        set_shares(args.endpoint_name, traffic, mirror)
    return None


def deployment_logs(args: argparse.Namespace) -> RawText:
    found = containers.find(docker_client(), args.endpoint_name, args.name)
    if not found:
        raise not_found(f"Deployment {args.name} of local endpoint ({args.endpoint_name})")
    tail = _positive_int(args.lines, "--lines") if args.lines is not None else None
    lines: List[str] = []
    for container in found[:1]:  # the cloud shows one instance's log
        lines += stream_lines(container, follow=False, tail=tail)
    return RawText("\n".join(lines))


def _positive_int(text: str, flag: str) -> int:
    if not str(text).isdigit() or int(text) < 1:
        raise AzError(f"{flag}: expected a positive whole number, got {text!r}", AzExit.USAGE)
    return int(text)
