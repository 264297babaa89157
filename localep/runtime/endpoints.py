"""Where a running local endpoint answers (its gateway) and the credentials it wants, for any shell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

import requests

from localep.errors import LocalepError
from localep.exitcodes import ExitCode
from localep.protocol import AML_TOKEN_AUTH, DEPLOYMENT_HEADER, KEY_AUTH, SCORING_PATH
from localep.runtime.gateway_link import endpoint_keys, running_gateway


@dataclass(frozen=True)
class EndpointAddress:
    name: str
    base_url: str
    scoring_path: str
    headers: Dict[str, str] = field(default_factory=dict)

    @property
    def scoring_uri(self) -> str:
        return self.base_url + self.scoring_path


def endpoint_address(endpoint: str) -> EndpointAddress:
    gateway = running_gateway(endpoint)
    if gateway is None:
        raise LocalepError(f"no running local endpoint {endpoint!r}: start it with `localep up` (see `localep ps`)")
    auth_mode = gateway.control.state().config.auth_mode
    headers = {}
    if auth_mode == KEY_AUTH:
        headers["Authorization"] = f"Bearer {endpoint_keys(endpoint).primary}"
    elif auth_mode == AML_TOKEN_AUTH:
        token = gateway.control.issue_token()
        headers["Authorization"] = f"Bearer {token['accessToken']}"
    return EndpointAddress(name=endpoint, base_url=gateway.base_url, scoring_path=SCORING_PATH, headers=headers)


class InvokeTimeout(LocalepError):
    exit_code = ExitCode.TIMEOUT


def score(address: EndpointAddress, body: bytes, deployment: Optional[str], headers: Dict[str, str],
          timeout: float) -> requests.Response:
    """One scoring request with the endpoint's credentials (and the deployment pinned, if given)."""
    headers = {"Content-Type": "application/json", **address.headers, **headers}
    if deployment:
        headers[DEPLOYMENT_HEADER] = deployment
    try:
        return requests.post(address.scoring_uri, data=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise InvokeTimeout(f"no answer from {address.scoring_uri} within {timeout:.0f}s") from None
    except requests.ConnectionError as error:
        raise LocalepError(f"cannot connect to {address.scoring_uri}: {error}") from None
