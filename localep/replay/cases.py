"""What a replay sends and what it got back: the types shared by the sources that read cases and the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from localep.errors import Location
from localep.exchanges import Exchange, Request, Response, header_value
from localep.protocol import DEPLOYMENT_HEADER


@dataclass(frozen=True)
class ReplayCase:
    name: str  # "recording.jsonl:3" or the request file's name
    request: Request
    expected: Optional[Response]  # None: nothing recorded yet
    source: Location  # where the request was read from
    expected_file: Optional[Path] = None  # request-file cases: where the expectation lives or --update puts it
    exchange: Optional[Exchange] = None  # recording cases: the exchange whose line --update replaces


@dataclass(frozen=True)
class ReplayResult:
    case: ReplayCase
    response: Response  # status 0 and empty body when `error` is set
    latency_ms: float  # from sending the request to having read the whole response
    error: Optional[str] = None

    @property
    def deployment(self) -> Optional[str]:
        """The deployment that answered, as the endpoint reports it."""
        return header_value(self.response.headers, DEPLOYMENT_HEADER)
