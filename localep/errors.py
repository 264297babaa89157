"""Errors users act on: each carries the exit code it maps to and, where known, the file and line to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from localep.exitcodes import ExitCode


@dataclass(frozen=True)
class Location:
    file: Path
    line: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


class LocalepError(Exception):
    exit_code = ExitCode.ERROR

    def __init__(self, message: str, location: Optional[Location] = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.detail = detail

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        return prefix + self.message


class SpecError(LocalepError):
    exit_code = ExitCode.SPEC


class BuildError(LocalepError):
    exit_code = ExitCode.BUILD


class DeploymentFailed(LocalepError):
    exit_code = ExitCode.DEPLOYMENT_FAILED


class DockerUnavailable(LocalepError):
    exit_code = ExitCode.DOCKER_UNAVAILABLE


class PortInUse(LocalepError):
    exit_code = ExitCode.PORT_IN_USE
