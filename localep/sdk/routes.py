"""azure-ai-ml's local-mode signatures (checked on 1.26.0 and 1.35.2), each answered by localep.sdk.operations."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from localep.sdk import operations


def _endpoint_create(endpoint: Any, **_: Any) -> Any:
    return operations.begin(lambda: operations.create_endpoint(endpoint), endpoint.name)


def _endpoint_get(name: str, **_: Any) -> Any:
    return operations.call(lambda: operations.endpoint_entity(operations.online.endpoint_document(name)), name)


def _endpoint_list(**_: Any) -> Any:
    return operations.call(operations.list_endpoints, None)


def _endpoint_delete(name: Optional[str] = None, **_: Any) -> Any:
    return operations.begin(lambda: operations.delete_endpoint(str(name)), name)


def _endpoint_invoke(endpoint_name: str, *, request_file: Optional[str] = None, deployment_name: Optional[str] = None,
                     **_: Any) -> str:
    return operations.call(lambda: operations.invoke(endpoint_name, request_file, deployment_name),
                           endpoint_name, deployment_name)


def _deployment_create(deployment: Any, *, vscode_debug: bool = False, **_: Any) -> Any:
    return operations.begin(lambda: operations.create_deployment(deployment, vscode_debug),
                            deployment.endpoint_name, deployment.name)


def _deployment_get(name: str, endpoint_name: str, **_: Any) -> Any:
    return operations.call(lambda: operations.deployment_entity(endpoint_name, name), endpoint_name, name)


def _deployment_list(endpoint_name: str, **_: Any) -> Any:
    return operations.call(lambda: operations.list_deployments(endpoint_name), endpoint_name)


def _deployment_logs(name: str, endpoint_name: str, lines: Optional[int] = None, **_: Any) -> str:
    return operations.call(lambda: operations.logs(name, endpoint_name, lines), endpoint_name, name)


def _deployment_delete(name: str, endpoint_name: str, **_: Any) -> Any:
    return operations.begin(lambda: operations.delete_deployment(name, endpoint_name), endpoint_name, name)


ENDPOINT_ROUTES: Dict[str, Callable[..., Any]] = {
    "begin_create_or_update": _endpoint_create, "get": _endpoint_get, "list": _endpoint_list,
    "begin_delete": _endpoint_delete, "invoke": _endpoint_invoke,
}
DEPLOYMENT_ROUTES: Dict[str, Callable[..., Any]] = {
    "begin_create_or_update": _deployment_create, "get": _deployment_get, "list": _deployment_list,
    "get_logs": _deployment_logs, "begin_delete": _deployment_delete,
}
