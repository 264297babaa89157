"""Request/response payload logging: the endpoint writes one `request` and one `response` line per exchange.

The gateway decides (sampling) on its hot path and hands the exchange to its background queue; `PayloadLog`
turns it into lines there. The credential is never written: `Authorization` (and any header naming a key or
token) is left out even when `capture_headers` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from localep.datacollect.events import CollectionWriter, payload_event
from localep.yamlspec.datacollector import REQUEST, RESPONSE

PAYLOAD_WRITER_PREFIX = "endpoint-"  # + the endpoint's name: the file in each period folder (the endpoint is one writer)
NEVER_CAPTURED = ("authorization", "proxy-authorization", "cookie")
SECRET_WORDS = ("key", "token", "secret", "password")


@dataclass(frozen=True)
class PayloadLogging:
    """What the gateway needs for one deployment (part of its JSON config, so plain fields only)."""

    source: str
    rolling_rate: str
    sampling_rate: float
    writer: str  # the file name in each period folder: payload_writer(endpoint)
    request_folder: Optional[str] = None
    response_folder: Optional[str] = None
    capture_headers: List[str] = field(default_factory=list)


def payload_writer(endpoint: str) -> str:
    """Each endpoint's gateway its own file: a smoke run's private copy, collecting into the endpoint's folders
    while `up` of the same endpoint runs, never appends to the file `up`'s gateway writes."""
    return PAYLOAD_WRITER_PREFIX + endpoint


@dataclass(frozen=True)
class PayloadExchange:
    request_id: str
    started: float  # wall clock, seconds
    method: str
    path: str
    request_headers: Sequence[Tuple[str, str]]
    request_body: bytes
    response_headers: Sequence[Tuple[str, str]]
    response_body: bytes


def capturable(name: str) -> bool:
    lowered = name.lower()
    return lowered not in NEVER_CAPTURED and not any(word in lowered for word in SECRET_WORDS)


def captured_headers(headers: Sequence[Tuple[str, str]], wanted: Sequence[str]) -> Dict[str, str]:
    """The headers `capture_headers` names (any case), never a credential."""
    names = {name.lower() for name in wanted if capturable(name)}
    return {name: value for name, value in headers if name.lower() in names}


def _content_type(headers: Sequence[Tuple[str, str]]) -> str:
    return next((value for name, value in headers if name.lower() == "content-type"), "")


def exchange_events(settings: PayloadLogging, exchange: PayloadExchange) -> List[Tuple[str, Dict[str, Any]]]:
    """(folder, event) for each enabled payload collection."""
    events: List[Tuple[str, Dict[str, Any]]] = []
    if settings.request_folder:
        extra: Dict[str, Any] = {"path": exchange.path, "method": exchange.method}
        captured = captured_headers(exchange.request_headers, settings.capture_headers)
        if captured:
            extra["headers"] = captured
        events.append((settings.request_folder, payload_event(
            REQUEST, exchange.request_body, _content_type(exchange.request_headers), exchange.request_id,
            settings.source, exchange.started, extra)))
    if settings.response_folder:
        captured = captured_headers(exchange.response_headers, settings.capture_headers)
        events.append((settings.response_folder, payload_event(
            RESPONSE, exchange.response_body, _content_type(exchange.response_headers), exchange.request_id,
            settings.source, exchange.started, {"headers": captured} if captured else None)))
    return events


class PayloadLog:
    """The endpoint's writers, one per collection folder; used from the gateway's background thread only."""

    def __init__(self) -> None:
        self._writers: Dict[Tuple[str, str, str], CollectionWriter] = {}

    def write(self, settings: PayloadLogging, exchange: PayloadExchange) -> None:
        for folder, event in exchange_events(settings, exchange):
            self._writer_for(folder, settings.writer, settings.rolling_rate).write(event)

    @property
    def dropped(self) -> int:
        return sum(writer.dropped for writer in self._writers.values())

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def _writer_for(self, folder: str, name: str, rolling_rate: str) -> CollectionWriter:
        key = (folder, name, rolling_rate)
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = CollectionWriter(folder, name, rolling_rate)
        return writer


def payload_logging_from_dict(data: Optional[Mapping[str, Any]]) -> Optional[PayloadLogging]:
    """From the gateway's saved config; None when the deployment logs no payloads."""
    if not data:
        return None
    fields = dict(data)
    fields["capture_headers"] = list(fields.get("capture_headers") or [])
    return PayloadLogging(**fields)
