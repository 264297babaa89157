"""The in-container receiver for azureml-ai-monitoring: what the cloud's data collector sidecar does, locally.

Standard library only: the agent starts it (`agent.py --collect SETTINGS`) in the container, where it is mounted
beside the agent with `events.py`, before the inference server starts. It

- writes the package's config file (the one `AZUREML_MDC_CONFIG_PATH` names): which collections are enabled and
  their sampling percentage, so `Collector(name=...)` in score.py works (and drops) as in the cloud;
- answers the package's sender on 127.0.0.1 (`POST /modeldata/log`, one event per request, attributes in `ce-*`
  headers) and writes each event as a JSON line to its collection's folder (a bind mount) *before* answering:
  what it acknowledged is on the host even if the container is killed the next moment.

It runs in the agent's process, so a crash or reload of the scoring server never interrupts it.
"""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

try:
    from localep.datacollect.events import CollectionWriter, collection_of, collector_event, make_private_dirs  # on the host (tests)
except ImportError:  # in the container: mounted beside this file
    from datacollect_events import CollectionWriter, collection_of, collector_event, make_private_dirs  # type: ignore[import-not-found,no-redef]

LOG_PATH = "/modeldata/log"
HOST = "127.0.0.1"
CONNECTION_TIMEOUT_S = 2.0
MAX_EVENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CollectionSettings:
    folder: str  # where its lines go, inside the container
    enabled: bool
    sample_rate_percentage: int = 100


@dataclass(frozen=True)
class ReceiverSettings:
    port: int
    source: str  # the events' `source`
    writer: str  # the file name in each period folder: one per instance
    rolling_rate: str
    config_path: str  # AZUREML_MDC_CONFIG_PATH
    collections: Dict[str, CollectionSettings] = field(default_factory=dict)
    owner: Optional[Tuple[int, int]] = None  # the host user, who must own the files a root container writes

    def to_json(self) -> str:
        data = dict(self.__dict__)
        data["collections"] = {name: c.__dict__ for name, c in self.collections.items()}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> ReceiverSettings:
        data = json.loads(text)
        data["collections"] = {name: CollectionSettings(**c) for name, c in data["collections"].items()}
        data["owner"] = tuple(data["owner"]) if data.get("owner") else None
        return ReceiverSettings(**data)


def package_config(settings: ReceiverSettings) -> Dict[str, Any]:
    """The file azureml-ai-monitoring reads: `runMode: cloud` makes it send to this receiver."""
    return {
        "runMode": "cloud",
        "collections": {
            name: {"enabled": c.enabled, "sampleRatePercentage": c.sample_rate_percentage}
            for name, c in settings.collections.items()
        },
    }


class Receiver(socketserver.TCPServer):
    """One connection at a time, in the serving thread: the sender posts one small event per connection, and a
    thread per connection cost as much CPU again as the event itself (0.45-0.5 ms an event against 0.75-1.05 ms,
    measured in the container, on a machine whose cores the scoring server needs). Several gunicorn workers'
    senders wait in the listen backlog; a client that stalls holds the others up for at most CONNECTION_TIMEOUT_S."""

    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, settings: ReceiverSettings, port: Optional[int] = None) -> None:
        self.settings = settings
        self.writers: Dict[str, CollectionWriter] = {
            name.lower(): CollectionWriter(c.folder, settings.writer, settings.rolling_rate, owner=settings.owner)
            for name, c in settings.collections.items() if c.enabled
        }
        self.refused = 0
        super().__init__((HOST, settings.port if port is None else port), _Handler)

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    def accept(self, headers: Mapping[str, str], body: bytes) -> int:
        """Write one event; the HTTP status to answer (200 only once it is written)."""
        event = collector_event(headers, body, self.settings.source, time.time())
        writer = self.writers.get(collection_of(event["type"]).lower())
        if writer is None:
            self.refused += 1
            return 404
        return 200 if writer.write(event) else 503


class _Handler(http.server.BaseHTTPRequestHandler):
    """The standard library's HTTP/1.1 parser; the sender posts one small event per connection."""

    server: Receiver
    timeout = CONNECTION_TIMEOUT_S
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    error_content_type = "application/json"
    error_message_format = '{"status":"dropped","code":%(code)d}'

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_EVENT_BYTES:
            self._answer(400)
            self.close_connection = True
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._answer(self.server.accept(headers, body) if self.path.split("?", 1)[0] == LOG_PATH else 404)

    def _answer(self, status: int) -> None:
        body = b'{"status":"accepted"}' if status == 200 else b'{"status":"dropped"}'
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the agent's log is the server's, and a line per event would drown it."""


def write_package_config(settings: ReceiverSettings) -> None:
    make_private_dirs(os.path.dirname(settings.config_path))
    descriptor = os.open(settings.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(package_config(settings), file)


def start_receiver(settings_json: str) -> Receiver:
    """Write the package's config, then serve on 127.0.0.1 from a daemon thread (before the server starts)."""
    settings = ReceiverSettings.from_json(settings_json)
    write_package_config(settings)
    receiver = Receiver(settings)
    threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                     name="datacollect-receiver").start()
    return receiver
