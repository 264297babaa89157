"""egress_public_network_access: disabled, on the host side: the internal Docker network such deployments run on.

An internal network forwards nothing out of the machine; the endpoint (a host process) still reaches the
containers at their address on it. Inside the container the agent removes the default route
(runtime/agent/noegress.py), so the machine's other addresses (the docker0 bridge, the host's own) are
unreachable too; only the network's own subnet answers. The network is shared by every such deployment and kept
(creating it is idempotent); image builds never use it.
"""

from __future__ import annotations

import docker
import docker.errors

from localep.runtime import labels
from localep.yamlspec.model import Deployment

NO_EGRESS_NETWORK = "localep-no-egress"


def egress_disabled(deployment: Deployment) -> bool:
    return deployment.kind == "managed" and deployment.egress_public_network_access == "disabled"


def ensure_no_egress_network(client: docker.DockerClient) -> str:
    """The internal network's name, created on first use (two `up`s at once may both try: one wins)."""
    if not client.networks.list(names=[NO_EGRESS_NETWORK]):
        try:
            client.networks.create(NO_EGRESS_NETWORK, driver="bridge", internal=True, check_duplicate=True,
                                   labels={labels.MANAGED: "true"})
        except docker.errors.APIError as error:
            if error.status_code != 409:  # 409: another `up` created it meanwhile
                raise
    return NO_EGRESS_NETWORK
