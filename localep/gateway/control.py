"""The control API on the endpoint's control socket (not its port): the CLI changes a running endpoint here.

Every accepted change is validated with the cloud's rules, persisted to the config file and swapped in
atomically; a rejected one answers 400 with a message meant for the user.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, Callable, Dict, Optional, Protocol

from localep.gateway import auth
from localep.gateway.config import (
    GatewayConfig,
    Keys,
    check_mirror,
    check_traffic,
    deployment_from_dict,
)
from localep.gateway.dispatch import GatewayAnswer, error_answer, json_answer
from localep.gateway.status import GatewayStatus
from localep.protocol import TOKEN_AUTH_MODES

CONTROL_PREFIX = "/__localep/"



class _Routes(Protocol):
    @property
    def config(self) -> GatewayConfig: ...


class Gateway(Protocol):
    """What the control channel needs of a running gateway; `server.Gateway` is one (no import back up)."""

    @property
    def table(self) -> _Routes: ...

    def state(self) -> GatewayStatus: ...

    def change(self, edit: Callable[[GatewayConfig], GatewayConfig]) -> GatewayConfig: ...


Handler = Callable[[Gateway, Any, str], GatewayAnswer]


def handle_control(gateway: Gateway, method: str, path: str, body: bytes) -> GatewayAnswer:
    """Called only for requests on the control socket, which only the endpoint's user can connect to."""
    if not path.startswith(CONTROL_PREFIX):
        return error_answer(404, "NotFound", f"control routes start with {CONTROL_PREFIX}")
    route, _, argument = path[len(CONTROL_PREFIX) :].split("?", 1)[0].partition("/")
    handlers = ROUTES.get(route)
    if handlers is None:
        known = ", ".join(f"{m} {CONTROL_PREFIX}{r}" for r, table in ROUTES.items() for m in table)
        return error_answer(404, "NotFound", f"no control route {path}; routes: {known}")
    handler = handlers.get(method)
    if handler is None:
        return error_answer(405, "MethodNotAllowed", f"{CONTROL_PREFIX}{route} accepts {', '.join(handlers)}")
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError as error:
        return error_answer(400, "BadRequest", f"request body is not JSON: {error}")
    try:
        return handler(gateway, payload, argument)
    except (ValueError, TypeError) as error:
        return error_answer(400, "InvalidChange", str(error))
    except (OSError, ImportError) as error:
        return error_answer(500, "ChangeFailed", f"{type(error).__name__}: {error}")


def _object(payload: Any, what: str) -> Dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValueError(f"{what} must be a JSON object")
    return payload


def _state(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    return json_answer(200, gateway.state().to_dict())


def _changed(gateway: Gateway, edit: Callable[[GatewayConfig], GatewayConfig]) -> GatewayAnswer:
    gateway.change(edit)
    return json_answer(200, gateway.state().to_dict())


def _put_traffic(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    traffic = _object(payload, "traffic")
    return _changed(gateway, lambda config: replace(config, traffic=check_traffic(traffic, config.deployments)))


def _put_mirror(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    mirror = _object(payload, "mirror traffic")
    return _changed(gateway, lambda config: replace(config, mirror_traffic=check_mirror(mirror, config.deployments)))


def _put_deployment(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    entry = dict(_object(payload, "deployment"))
    name = entry.pop("name", None) or argument
    if not isinstance(name, str) or not name:
        raise ValueError("the deployment needs a 'name'")
    route = deployment_from_dict(name, entry)
    return _changed(gateway, lambda config: replace(config, deployments={**config.deployments, name: route}))


def _delete_deployment(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    if argument not in gateway.table.config.deployments:
        known = ", ".join(sorted(gateway.table.config.deployments)) or "none"
        return error_answer(404, "DeploymentNotFound", f"no deployment {argument!r} (known: {known})")

    def without(config: GatewayConfig) -> GatewayConfig:
        return replace(
            config,
            deployments={name: route for name, route in config.deployments.items() if name != argument},
            traffic={name: pct for name, pct in config.traffic.items() if name != argument},
            mirror_traffic={name: pct for name, pct in config.mirror_traffic.items() if name != argument},
        )

    return _changed(gateway, without)


def _put_record(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    path: Optional[str] = _object(payload, "record").get("path")
    if path is not None and (not isinstance(path, str) or not path):
        raise ValueError("'path' must be a file path or null")
    return _changed(gateway, lambda config: replace(config, record_path=path))


def _put_keys(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    given = _object(payload, "keys")
    unknown = set(given) - {"primary", "secondary"}
    if unknown:
        raise ValueError(f"unknown key names: {', '.join(sorted(unknown))} (use primary, secondary)")
    for name, value in given.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"'{name}' must be a non-empty string")
    return _changed(gateway, lambda config: replace(config, keys=Keys(**{**vars(config.keys), **given})))


def _post_token(gateway: Gateway, payload: Any, argument: str) -> GatewayAnswer:
    config = gateway.table.config
    if config.auth_mode not in TOKEN_AUTH_MODES:
        return error_answer(
            400, "NotTokenAuth", f"endpoint '{config.endpoint}' uses auth_mode {config.auth_mode}; tokens are not used"
        )
    lifetime = _object({} if payload is None else payload, "token request").get("lifetime_s", auth.TOKEN_LIFETIME_S)
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
        raise ValueError("'lifetime_s' must be a positive number of seconds")
    return json_answer(200, auth.issue_token(config.token_secret, config.endpoint, time.time(), lifetime))


ROUTES: Dict[str, Dict[str, Handler]] = {
    "state": {"GET": _state},
    "traffic": {"PUT": _put_traffic},
    "mirror": {"PUT": _put_mirror},
    "deployments": {"PUT": _put_deployment, "DELETE": _delete_deployment},
    "record": {"PUT": _put_record},
    "keys": {"PUT": _put_keys},
    "token": {"POST": _post_token},
}
