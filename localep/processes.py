"""Whether a process still runs, decided one way for the gateway's supervisor, batch runners and the agent.

Stdlib only and free of localep imports: the in-container agent loads this file from beside itself, where no
localep package is installed. A zombie (exited, not yet reaped) counts as stopped.
"""

from __future__ import annotations

import os


def process_alive(pid: int, reap: bool = False) -> bool:
    """`reap` collects `pid` first when it is our own child, which would otherwise stay a zombie."""
    if reap:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                return False
        except ChildProcessError:
            pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return not _stopped_per_proc(pid)


def _stopped_per_proc(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return os.path.isdir("/proc/self")  # it died just now; without /proc (macOS) the signal check decides
    except (OSError, IndexError):
        return False
