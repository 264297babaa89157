"""egress_public_network_access: disabled, inside the container: no default route, and no way to add one back.

Standard library only (run by the agent before it starts the server). The container sits on an internal Docker
network, so nothing is forwarded out of the machine; without a default route it cannot even address the machine's
other networks (the docker0 bridge, the host's own addresses), only its own network, where the endpoint reaches
it. The container gets NET_ADMIN for this one step; the agent then drops it from the bounding set, so the server
and the user's code run without it.
"""

from __future__ import annotations

import ctypes
import socket
import struct

NETLINK_ROUTE = 0
RTM_DELROUTE = 25
NLM_F_REQUEST_ACK = 0x1 | 0x4
NLMSG_ERROR = 2
RT_TABLE_MAIN = 254
RT_SCOPE_NOWHERE = 255  # any scope, for a delete
RTN_UNICAST = 1
PR_CAPBSET_DROP = 24
CAP_NET_ADMIN = 12


def delete_default_route() -> int:
    """Remove the IPv4 default route over netlink (what `ip route del default` does); 0 or the errno."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as channel:
        route = struct.pack("BBBBBBBBI", socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, 0, RT_SCOPE_NOWHERE, RTN_UNICAST, 0)
        header = struct.pack("=IHHII", 16 + len(route), RTM_DELROUTE, NLM_F_REQUEST_ACK, 1, 0)
        channel.sendto(header + route, (0, 0))
        reply = channel.recv(4096)
    (kind,) = struct.unpack("=H", reply[4:6])
    if kind != NLMSG_ERROR:
        return 0
    (error,) = struct.unpack("=i", reply[16:20])
    return -error


def drop_net_admin() -> bool:
    """Processes started from now on never hold NET_ADMIN (so they cannot put the route back)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def cut_egress() -> str:
    """Do both; the one line the agent prints about it."""
    try:
        error = delete_default_route()
    except OSError as problem:
        error = problem.errno or -1
    dropped = drop_net_admin()
    if error not in (0, 3):  # 3 (ESRCH): there was no default route to remove
        return f"egress_public_network_access: disabled, but the default route could not be removed (errno {error})"
    return ("egress_public_network_access: disabled: no route out of this container; only the endpoint reaches it"
            + ("" if dropped else " (NET_ADMIN could not be dropped)"))
