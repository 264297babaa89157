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
    INTERRUPTED = 130
