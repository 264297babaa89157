"""The one client of a gateway's control socket: every command, runtime step and test changes an endpoint here.

The socket is a Unix socket in the endpoint's private state folder, so only the user who started the endpoint
can reach it; no control route exists on the endpoint's port.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

from localep.errors import LocalepError
from localep.gateway.config import DeploymentRoute
from localep.gateway.control import CONTROL_PREFIX
from localep.gateway.status import GatewayStatus
from localep.gateway.unixaddress import unix_socket_address


class GatewayUnreachable(LocalepError):
    """Nothing answers on the endpoint's control socket: the gateway is not running."""


class GatewayRejected(LocalepError):
    """The gateway refused a control request (e.g. traffic over 100%); the message says why."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout_s: float) -> None:
        super().__init__("localhost", timeout=timeout_s)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            with unix_socket_address(self._path) as address:
                sock.connect(address)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class ControlClient:
    def __init__(self, socket_path: Union[str, Path], timeout_s: float = 5.0) -> None:
        self.socket_path = str(socket_path)
        self.timeout_s = timeout_s

    def state(self) -> GatewayStatus:
        """Config (without keys), instance health and restarts, connection counts and stats."""
        return self._status("GET", "state")

    def set_traffic(self, shares: Mapping[str, int]) -> GatewayStatus:
        return self._status("PUT", "traffic", dict(shares))

    def set_mirror(self, shares: Mapping[str, int]) -> GatewayStatus:
        return self._status("PUT", "mirror", dict(shares))

    def put_deployment(self, name: str, route: DeploymentRoute) -> GatewayStatus:
        return self._status("PUT", f"deployments/{name}", asdict(route))

    def delete_deployment(self, name: str) -> GatewayStatus:
        return self._status("DELETE", f"deployments/{name}")

    def set_record(self, path: Optional[str]) -> GatewayStatus:
        """Start (a path chosen by the CLI) or stop (None) recording exchanges."""
        return self._status("PUT", "record", {"path": path})

    def set_keys(self, **keys: str) -> GatewayStatus:
        """Replace the primary and/or secondary key (`set_keys(primary=...)`)."""
        return self._status("PUT", "keys", keys)

    def issue_token(self, lifetime_s: Optional[float] = None) -> Dict[str, Any]:
        return self._call("POST", "token", {} if lifetime_s is None else {"lifetime_s": lifetime_s})

    def _status(self, method: str, route: str, body: Optional[Any] = None) -> GatewayStatus:
        answer = self._call(method, route, body)
        try:
            return GatewayStatus.from_dict(answer)
        except (KeyError, TypeError, ValueError) as error:
            raise GatewayRejected(f"{self.socket_path} answered {method} {route} with an unknown state ({error})") from None

    def _call(self, method: str, route: str, body: Optional[Any] = None) -> Dict[str, Any]:
        path = CONTROL_PREFIX + route
        payload = b"" if body is None else json.dumps(body).encode()
        connection = _UnixConnection(self.socket_path, self.timeout_s)
        try:
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise GatewayUnreachable(f"no endpoint gateway answers on {self.socket_path} ({error})") from None
        finally:
            connection.close()
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            raise GatewayRejected(f"{self.socket_path} answered {method} {path} with non-JSON") from None
        if response.status >= 400:
            message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
            raise GatewayRejected(message or f"{method} {path} failed with HTTP {response.status}")
        return answer
