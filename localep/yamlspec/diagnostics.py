"""Problems found in a spec, collected rather than raised so one run can report all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List

from localep.errors import Location, SpecError

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    location: Location
    severity: str  # ERROR | WARNING
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"

    def to_dict(self) -> Dict[str, Any]:
        return {
            "file": str(self.location.file),
            "line": self.location.line,
            "severity": self.severity,
            "message": self.message,
        }


def errors_of(diagnostics: Iterable[Diagnostic]) -> List[Diagnostic]:
    return [diagnostic for diagnostic in diagnostics if diagnostic.is_error]


def raise_first_error(diagnostics: Iterable[Diagnostic]) -> None:
    """Raise the first error as a SpecError; the others ride along in `detail` so none is lost."""
    errors = errors_of(diagnostics)
    if not errors:
        return
    first, rest = errors[0], errors[1:]
    detail = "\n".join(str(error) for error in rest)
    if rest:
        detail = f"{len(rest)} more problem(s):\n{detail}"
    raise SpecError(first.message, first.location, detail=detail)
