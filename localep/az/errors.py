"""az's error contract: `ERROR: ...` on stderr and az's exit codes, which scripts test."""

from __future__ import annotations

from localep.exitcodes import AzExitCode as AzExit


class AzError(Exception):
    def __init__(self, message: str, exit_code: AzExit = AzExit.ERROR, code: str = "", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code
        self.detail = detail

    def render(self) -> str:
        """As the ml extension prints service errors: `(Code) message`, then Code and Message lines."""
        if not self.code:
            text = f"ERROR: {self.message}"
        else:
            text = f"ERROR: ({self.code}) {self.message}\nCode: {self.code}\nMessage: {self.message}"
        return text + (f"\n{self.detail.rstrip()}" if self.detail else "")


def not_found(what: str) -> AzError:
    return AzError(f"{what} not found.", AzExit.NOT_FOUND, code="ResourceNotFound")
