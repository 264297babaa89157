"""The SDK scripts' guard: no connection leaves this machine (loopback, Docker's socket and Docker's own networks
only). A refused one raises in the caller and is listed for the test to report. Also what the scripts share: a
client for a workspace that does not exist, and the bundled example's deployment as an entity."""

import ipaddress
import sys
from typing import Any, List

import docker


def install() -> List[str]:
    client = docker.from_env()
    networks = [ipaddress.ip_network(config["Subnet"]) for network in client.networks.list()
                for config in (network.attrs.get("IPAM") or {}).get("Config") or []
                if "Subnet" in config and ":" not in config["Subnet"]]
    refused: List[str] = []

    def allowed(address) -> bool:
        if isinstance(address, (str, bytes)):  # AF_UNIX: Docker's socket
            return True
        try:
            ip = ipaddress.ip_address(address[0])
        except ValueError:
            return False
        return ip.is_loopback or any(ip in network for network in networks)

    def audit(event, args):
        if event == "socket.connect" and not allowed(args[1]):
            refused.append(repr(args[1]))
            raise ConnectionRefusedError(f"test: no network beyond this machine ({args[1]!r})")

    sys.addaudithook(audit)
    return refused


class NoCredential:
    """Stands in for DefaultAzureCredential: any use of it would be a call to Azure."""

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("a local operation asked for an Azure token")


def workspace_client():
    """An MLClient for a workspace that does not exist: only local=True calls can succeed."""
    from azure.ai.ml import MLClient

    return MLClient(NoCredential(), "00000000-0000-0000-0000-000000000000", "no-group", "no-workspace")


def example_deployment(endpoint: str, base_image: str, **fields: Any):
    """The bundled example's `blue` deployment built in Python (paths relative to the working directory)."""
    from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, Model

    return ManagedOnlineDeployment(
        name="blue", endpoint_name=endpoint, model=Model(path="model/regression"),
        environment=Environment(conda_file="environment/conda.yaml", image=base_image),
        code_configuration=CodeConfiguration(code="onlinescoring", scoring_script="score.py"),
        instance_type="Standard_DS3_v2", instance_count=1, **fields)
