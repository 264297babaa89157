"""azure-ai-ml's `local=True` operations, each done by what `localep az ml ... --local` does (localep.az.online),
answered in the SDK's own types: entities, text, LROPollers and the SDK's exceptions.

Every local operation runs on one worker thread in call order, like the cloud's operations on a resource: a
`begin_*` returns at once with a poller, and a later `get` or `invoke` waits for what was begun before it.
"""

from __future__ import annotations

import argparse
import io
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TypeVar

import yaml
from azure.ai.ml import exceptions as sdk_errors
from azure.ai.ml import load_online_deployment, load_online_endpoint
from azure.core.polling import LROPoller, PollingMethod

from localep.az import online, store
from localep.az.errors import AzError
from localep.devloop.attach import write_deployment_attach
from localep.errors import BuildError, DockerUnavailable, LocalepError
from localep.fileio import atomic_write
from localep.paths import home
from localep.progress import Reporter
from localep.runtime.plan import DebugOptions
from localep.runtime.ports import free_port
from localep.sdk import convert
from localep.yamlspec import check_runnable_locally, load_deployment

T = TypeVar("T")
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="localep-sdk")
ENDPOINT_FIELDS = ("name", "auth_mode", "description", "tags", "traffic", "mirror_traffic")


# ---- order, pollers and errors ----------------------------------------------------------------------------------

class _LocalOperation(PollingMethod):
    """An LROPoller's polling method for work already queued on the worker: run() waits for it."""

    def __init__(self, future: Future):
        self._future = future

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        return None

    def run(self) -> None:
        self._future.result()

    def status(self) -> str:
        if not self._future.done():
            return "InProgress"
        return "Failed" if self._future.exception() is not None else "Succeeded"

    def finished(self) -> bool:
        return self._future.done()

    def resource(self) -> Any:
        return self._future.result()

    def get_continuation_token(self) -> str:
        return "localep-local-operation"


def _guarded(work: Callable[[], T], endpoint: Optional[str], deployment: Optional[str] = None) -> Callable[[], T]:
    def run() -> T:
        try:
            return work()
        except (AzError, LocalepError) as error:
            raise sdk_error(error, endpoint, deployment) from None
    return run


def begin(work: Callable[[], T], endpoint: Optional[str], deployment: Optional[str] = None) -> LROPoller:
    """Queue `work`; the poller's result() waits for it and raises its error as the SDK's exception."""
    future = _WORKER.submit(_guarded(work, endpoint, deployment))
    return LROPoller(None, None, lambda response: response, _LocalOperation(future))


def call(work: Callable[[], T], endpoint: Optional[str], deployment: Optional[str] = None) -> T:
    """Run `work` after everything begun before it, and return its answer."""
    return _WORKER.submit(_guarded(work, endpoint, deployment)).result()


def sdk_error(error: Exception, endpoint: Optional[str], deployment: Optional[str]) -> Exception:
    """The exception azure-ai-ml's local mode raises in the same situation, carrying localep's message."""
    message = str(error)
    detail = getattr(error, "detail", "")
    if detail and detail.strip() not in message:
        message = f"{message}\n{detail.rstrip()}"
    if isinstance(error, AzError) and error.code == "ResourceNotFound":
        return sdk_errors.LocalEndpointNotFoundError(endpoint_name=endpoint or "", deployment_name=deployment)
    if isinstance(error, DockerUnavailable):
        failure: Exception = sdk_errors.DockerEngineNotAvailableError()
    elif isinstance(error, BuildError):
        failure = sdk_errors.LocalEndpointImageBuildError(message)
    elif isinstance(error, AzError) and error.code == "DeploymentFailed":
        failure = sdk_errors.LocalEndpointInFailedStateError(endpoint_name=endpoint or "", deployment_name=deployment)
    else:
        return sdk_errors.InvalidLocalEndpointError(message=message, no_personal_data_message="localep: local operation failed")
    failure.message = message  # type: ignore[attr-defined]  # azure-core's AzureError keeps the text here too
    failure.args = (message,)
    return failure


# ---- files: what the cloud's YAML would say ---------------------------------------------------------------------

def _folder(endpoint: str) -> Path:
    return home() / "sdk" / endpoint


def write_deployment_yaml(entity: Any) -> Path:
    """The entity as a deployment YAML under $LOCALEP_HOME/sdk (inline conda content in a file beside it)."""
    document, conda = convert.deployment_document(entity)
    folder = _folder(entity.endpoint_name)
    if conda is not None:
        conda_path = folder / f"{entity.name}.conda.yml"
        atomic_write(conda_path, yaml.safe_dump(conda, sort_keys=False), private=True)
        document["environment"]["conda_file"] = str(conda_path)
    path = folder / f"{entity.name}.yml"
    atomic_write(path, yaml.safe_dump(document, sort_keys=False), private=True)
    return path


def write_endpoint_yaml(entity: Any) -> Path:
    path = _folder(entity.name) / "endpoint.yml"
    atomic_write(path, yaml.safe_dump(convert.endpoint_document(entity), sort_keys=False), private=True)
    return path


# ---- SDK entities from localep's documents ----------------------------------------------------------------------

def endpoint_entity(document: Dict[str, Any]) -> Any:
    data = {key: document[key] for key in ENDPOINT_FIELDS if document.get(key) is not None}
    state = [{"provisioning_state": document["provisioning_state"]}, {"location": "local"}]
    state += [{key: document[key]} for key in ("scoring_uri", "openapi_uri") if document.get(key)]
    return load_online_endpoint(io.StringIO(yaml.safe_dump(data)), params_override=state)


def deployment_entity(endpoint: str, name: str) -> Any:
    """From the YAML it was created from (the SDK reads its own format back), with the measured state."""
    document = online.deployment_document(endpoint, name)
    record = store.load_endpoint(endpoint)
    entry = record.deployments.get(name) if record else None
    state = [{"provisioning_state": document["provisioning_state"]}]
    if entry is not None and Path(entry.file).is_file():
        return load_online_deployment(entry.file, params_override=state)
    data = {"name": name, "endpoint_name": endpoint}
    return load_online_deployment(io.StringIO(yaml.safe_dump(data)), params_override=state)


# ---- the operations ---------------------------------------------------------------------------------------------

def create_endpoint(entity: Any) -> Any:
    path = write_endpoint_yaml(entity)
    online.endpoint_create(argparse.Namespace(file=str(path), name=None, set=[], local=True))
    return endpoint_entity(online.endpoint_document(entity.name))


def create_deployment(entity: Any, vscode_debug: bool) -> Any:
    path = write_deployment_yaml(entity)
    deployment = load_deployment(path)
    check_runnable_locally(deployment)
    debug = DebugOptions(port=free_port()) if vscode_debug else None
    online.run_deployment(deployment, str(path), [], all_traffic=False, local=True, debug=debug)
    if debug is not None:
        config, launch = write_deployment_attach(deployment, debug.port, Path.cwd(), just_my_code=False)
        Reporter().step(f"debugpy listens on 127.0.0.1:{debug.port}; launch.json ({launch}) has "
                        f"\"{config['name']}\": in VS Code, Run and Debug -> pick it -> F5, then set breakpoints "
                        f"in {deployment.code_configuration.script_path if deployment.code_configuration else 'score.py'}")
    return deployment_entity(entity.endpoint_name, entity.name)


def list_endpoints() -> List[Any]:
    return [endpoint_entity(document) for document in online.endpoint_list(argparse.Namespace())]


def list_deployments(endpoint: str) -> List[Any]:
    documents = online.deployment_list(argparse.Namespace(endpoint_name=endpoint))
    return [deployment_entity(endpoint, document["name"]) for document in documents]


def delete_endpoint(name: str) -> None:
    online.endpoint_delete(argparse.Namespace(name=name, yes=True))
    shutil.rmtree(_folder(name), ignore_errors=True)


def delete_deployment(name: str, endpoint: str) -> None:
    online.deployment_delete(argparse.Namespace(name=name, endpoint_name=endpoint, yes=True))
    for path in (_folder(endpoint) / f"{name}.yml", _folder(endpoint) / f"{name}.conda.yml"):
        path.unlink(missing_ok=True)


def invoke(endpoint: str, request_file: Optional[str], deployment: Optional[str]) -> str:
    if request_file is None:
        raise AzError("invoke(local=True) needs request_file (a JSON file with the request body)")
    args = argparse.Namespace(name=endpoint, request_file=request_file, deployment_name=deployment)
    return str(online.endpoint_invoke(args))


def logs(name: str, endpoint: str, lines: Optional[int]) -> str:
    args = argparse.Namespace(name=name, endpoint_name=endpoint, lines=None if lines is None else str(lines))
    return online.deployment_logs(args).text
