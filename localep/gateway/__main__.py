"""The gateway daemon: `python -m localep.gateway --config gateway.json`, started detached by the CLI.

That process is a supervisor: it runs the serving gateway as its child (`--serve`) and starts it again, with
back-off, whenever it dies (a crash, an OOM kill, `kill -9`), so the endpoint's port is back within a second.
Exit statuses follow localep.exitcodes: SPEC for a bad config file, PORT_IN_USE when the endpoint port is
taken, ERROR for anything else that stops it from serving.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Optional

from localep.errors import LocalepError
from localep.exitcodes import ExitCode
from localep.gateway.autoscale import Autoscaler, docker_calls
from localep.gateway.config import load_config
from localep.gateway.debugbridge import docker_exec_opener
from localep.gateway.http1 import Limits
from localep.gateway.keeper import InstanceKeeper, docker_engine
from localep.gateway.server import SUPERVISOR_ENV, Gateway

log = logging.getLogger("localep.gateway")

FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0
STABLE_AFTER_S = 30.0
FATAL = (int(ExitCode.SPEC), int(ExitCode.PORT_IN_USE))


def restart_with_docker(container: str) -> None:
    """Restart a deployment container whose liveness probe keeps failing (what the cloud does)."""
    import docker

    docker.from_env().containers.get(container).restart(timeout=10)


def room_for_connections(connections: int) -> None:
    """The connection cap must bind before the descriptor limit does (each connection may hold a second descriptor
    upstream): raise the soft limit toward the hard one. At the limit, accept() fails and nobody gets in."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard),
                                                    hard))


def serve(config_path: Path) -> int:
    room_for_connections(Limits().max_connections)
    try:
        config = load_config(config_path)
        gateway = Gateway(config, config_path=config_path, restart=restart_with_docker,
                          debug_streams=docker_exec_opener())
    except LocalepError as error:
        log.error("%s", error)
        return int(error.exit_code)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            log.error("port %d on %s is already in use; is another endpoint running there?", config.port, config.host)
            return int(ExitCode.PORT_IN_USE)
        log.error("cannot start the gateway: %s", error)
        return int(ExitCode.ERROR)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    gateway.start()
    keeper = InstanceKeeper(lambda: gateway.table.pools.values(), *docker_engine())
    autoscaler = Autoscaler(lambda: gateway.table.pools.values(), *docker_calls())
    log.info("endpoint %s listening on %s (pid %d)", config.endpoint, gateway.url, os.getpid())
    while not stopping.wait(0.5):
        continue
    log.info("endpoint %s stopping", config.endpoint)
    autoscaler.close()
    keeper.close()
    gateway.close()
    return int(ExitCode.OK)


def _end_with_parent() -> None:
    """In the child before exec: a supervisor that is killed outright (SIGKILL) takes its gateway with it, so no
    orphan keeps the endpoint's port (Linux; elsewhere the orphan is stopped by the next `down`)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def supervise(config_path: Path) -> int:
    """Run the serving gateway and restart it whenever it dies; SIGTERM stops both."""
    stopping = threading.Event()
    child: List[Optional[subprocess.Popen]] = [None]

    def request_stop(signum: int, frame: Any) -> None:
        stopping.set()
        if child[0] is not None and child[0].poll() is None:
            child[0].terminate()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    env = dict(os.environ, **{SUPERVISOR_ENV: str(os.getpid())})
    delay, first = 0.0, True
    while not stopping.is_set():
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "localep.gateway", "--serve", "--config", str(config_path)],
                                   env=env, stdin=subprocess.DEVNULL, preexec_fn=_end_with_parent)
        child[0] = process
        code = process.wait()
        if stopping.is_set():
            return int(ExitCode.OK)
        if first and code in FATAL:
            return code
        first = False
        delay = FIRST_BACKOFF_S if time.monotonic() - started > STABLE_AFTER_S else min(MAX_BACKOFF_S,
                                                                                         max(FIRST_BACKOFF_S, delay * 2))
        log.warning("the gateway (pid %d) exited with status %s; starting it again in %.1fs", process.pid, code, delay)
        stopping.wait(delay)
    return int(ExitCode.OK)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localep.gateway", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="gateway JSON config (rewritten on live changes)")
    parser.add_argument("--serve", action="store_true", help="serve in this process, without a supervisor")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return serve(args.config) if args.serve else supervise(args.config)


if __name__ == "__main__":
    sys.exit(main())
