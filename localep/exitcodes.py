"""Every exit status localep returns, in one place so the README and scripts can rely on them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    SPEC = 3
    BUILD = 4
    DEPLOYMENT_FAILED = 5
    DOCKER_UNAVAILABLE = 6
    PORT_IN_USE = 7
    HTTP_ERROR = 8
    MISMATCH = 9
    TIMEOUT = 10
    BATCH_JOB_FAILED = 11
    BATCH_NO_SUCCESS = 12
    BATCH_INIT_FAILED = 13
    HANGUP = 129  # SIGHUP (the terminal closed): handled like Ctrl-C
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM: handled like Ctrl-C


class AzExitCode(enum.IntEnum):
    """What `localep az` returns: azure-cli's codes, which scripts written for az test (not the ones above)."""

    OK = 0
    ERROR = 1  # any failure: a bad request, a failed deployment, an error answer
    USAGE = 2  # the command line does not parse
    NOT_FOUND = 3  # the named resource does not exist (what `show` scripts test)
