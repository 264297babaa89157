"""The gateway daemon: `python -m localep.gateway --config gateway.json`, started detached by the CLI.

Exit statuses follow localep.exitcodes: SPEC for a bad config file, PORT_IN_USE when the endpoint port is
taken, ERROR for anything else that stops it from serving.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, List, Optional

from localep.errors import LocalepError
from localep.exitcodes import ExitCode
from localep.gateway.config import load_config
from localep.gateway.server import Gateway

log = logging.getLogger("localep.gateway")


def restart_with_docker(container: str) -> None:
    """Restart a deployment container whose liveness probe keeps failing (what the cloud does)."""
    import docker

    docker.from_env().containers.get(container).restart(timeout=10)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localep.gateway", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="gateway JSON config (rewritten on live changes)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = load_config(args.config)
        gateway = Gateway(config, config_path=args.config, restart=restart_with_docker)
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

    def request_stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    gateway.start()
    log.info("endpoint %s listening on %s (pid %d)", config.endpoint, gateway.url, os.getpid())
    while not stopping.wait(0.5):
        continue
    log.info("endpoint %s stopping", config.endpoint)
    gateway.close()
    return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
