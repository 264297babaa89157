"""Endpoint ports: stable, below the ephemeral range, and a busy one names its holder."""

from __future__ import annotations

import os
import socket

from localep.runtime import ports


def test_preferred_port_is_stable_and_below_the_ephemeral_range():
    assert ports.preferred_port("my-endpoint") == ports.preferred_port("my-endpoint")
    assert ports.PORT_RANGE[0] <= ports.preferred_port("my-endpoint") < ports.PORT_RANGE[1] <= 32768


def test_a_listening_socket_is_busy_and_its_process_is_named():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert not ports.is_free(port)
        assert ports._listening_process(port).startswith(f"process {os.getpid()} ")
    assert ports.is_free(port)

