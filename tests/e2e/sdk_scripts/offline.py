"""The SDK scripts' guard: no connection leaves this machine (loopback, Docker's socket and Docker's own networks
only). A refused one raises in the caller and is listed for the test to report."""

import ipaddress
import sys
from typing import List

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
