"""Collected events as the cloud stores them: the JSON line, the rolled folder, and the one writer of those files.

Standard library only: the in-container receiver (`receiver.py`, mounted beside the agent) and the endpoint
(request/response payload logging, on the host) both write through this module, so the format has one home.

A line is one CloudEvents-style object (`specversion`, `id`, `source`, `type`, `datacontenttype`, `time`, `data`,
`correlationid`, `xrequestid`, `modelversion`, `collectdatatype`, `agent`, `contentrange`) as in the cloud's
`modelDataCollector` blobs. Files roll by `rolling_rate` in UTC: `<folder>/<yyyy>/<MM>/<dd>/<HH>/<writer>.jsonl`
for `hour` (fewer levels for day, month and year; one more, the minute, for `minute`). Each writer (one
container instance, or the endpoint) has its own file per period, so lines of two writers never interleave.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional, Tuple

SPEC_VERSION = "1.0"
EVENT_TYPE_PREFIX = "azureml.inference."
JSON_CONTENT = "application/json"
DEFAULT_MODEL_VERSION = "default"
ROLLING_LEVELS = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5}
FILE_SUFFIX = ".jsonl"
DIR_MODE = 0o700
FILE_MODE = 0o600
# How long a write may wait for the file while another write holds it: past this the disk is not keeping up,
# and the event is dropped (and counted) rather than holding up the sender.
WRITE_WAIT_SECONDS = 0.5
WARN_EVERY_SECONDS = 10.0

log = logging.getLogger("localep.datacollect")


def event_source(endpoint: str, deployment: str) -> str:
    """The cloud's `source` names the workspace's endpoint and deployment; locally the workspace is `local`."""
    return (f"/subscriptions/local/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/local"
            f"/onlineEndpoints/{endpoint}/deployments/{deployment}")


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_range(size: int) -> str:
    return f"bytes 0-{max(size - 1, 0)}/{size}"


def period_folder(timestamp: float, rolling_rate: str) -> str:
    """`2024/05/01/13` for hour: the UTC period an event written at `timestamp` belongs to."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    parts = (f"{moment.year:04d}", f"{moment.month:02d}", f"{moment.day:02d}", f"{moment.hour:02d}",
             f"{moment.minute:02d}")
    return "/".join(parts[:ROLLING_LEVELS[rolling_rate]])


def body_data(body: bytes, content_type: str) -> Tuple[Any, str]:
    """The body as the event's `data` and its `datacontenttype`: JSON parsed, text as text, bytes as base64."""
    text: Optional[str]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and (JSON_CONTENT in content_type.lower() or not content_type):
        try:
            return json.loads(text), JSON_CONTENT
        except ValueError:
            pass
    if text is not None:
        return text, content_type or "text/plain"
    return base64.b64encode(body).decode("ascii"), content_type or "application/octet-stream"


def collector_event(headers: Mapping[str, str], body: bytes, source: str, now: float) -> Dict[str, Any]:
    """The line for one POST of azureml-ai-monitoring's sender (its `ce-*` headers carry the attributes)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    data, content_type = body_data(body, lowered.get("content-type", JSON_CONTENT))
    correlation = lowered.get("ce-x-request-id") or ""
    try:
        created = float(lowered.get("ce-time") or now)
    except ValueError:
        created = now
    return {
        "specversion": SPEC_VERSION,
        "id": lowered.get("trace-id") or str(uuid.uuid4()),
        "source": source,
        "type": lowered.get("ce-type") or EVENT_TYPE_PREFIX + "unknown",
        "datacontenttype": content_type,
        "time": iso_time(created),
        "data": data,
        "correlationid": correlation,
        "xrequestid": correlation,
        "modelversion": lowered.get("ce-model-version") or DEFAULT_MODEL_VERSION,
        "collectdatatype": lowered.get("ce-collect-data-type") or "",
        "agent": lowered.get("ce-agent") or "",
        "contentrange": content_range(len(body)),
    }


def collection_of(event_type: str) -> str:
    """`azureml.inference.model_inputs` -> `model_inputs`."""
    return event_type[len(EVENT_TYPE_PREFIX):] if event_type.startswith(EVENT_TYPE_PREFIX) else event_type


def payload_event(collection: str, body: bytes, content_type: str, request_id: str, source: str, when: float,
                  extra: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """A `request` or `response` line, written by the endpoint; `extra` adds path, method or captured headers."""
    data, data_type = body_data(body, content_type)
    event: Dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(uuid.uuid4()),
        "source": source,
        "type": EVENT_TYPE_PREFIX + collection,
        "datacontenttype": data_type,
        "time": iso_time(when),
        "data": data,
        "correlationid": request_id,
        "xrequestid": request_id,
        "modelversion": DEFAULT_MODEL_VERSION,
        "collectdatatype": "python.bytes",
        "agent": "localep-endpoint",
        "contentrange": content_range(len(body)),
    }
    event.update(extra or {})
    return event


def encode_line(event: Mapping[str, Any]) -> bytes:
    return (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


class CollectionWriter:
    """Appends lines to one collection's folder, rolled by period, one file per writer.

    Each line is one os.write on an O_APPEND descriptor: when `write` returns True the line is in the operating
    system's hands (it survives the writing process or container being killed). Writes of one writer are
    serialised; a write that cannot get the file within WRITE_WAIT_SECONDS is dropped and counted instead.
    """

    def __init__(self, folder: str, writer: str, rolling_rate: str, wait_s: float = WRITE_WAIT_SECONDS,
                 owner: Optional[Tuple[int, int]] = None) -> None:
        self.folder = folder
        self.owner = owner  # (uid, gid) to give new files and folders: the host user, when written as root
        self.writer = writer
        self.rolling_rate = rolling_rate
        self.written = 0
        self.dropped = 0
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._period = ""
        self._fd: Optional[int] = None
        self._warned_at = 0.0

    def path_for(self, timestamp: float) -> str:
        return os.path.join(self.folder, period_folder(timestamp, self.rolling_rate), self.writer + FILE_SUFFIX)

    def write(self, event: Mapping[str, Any], timestamp: Optional[float] = None) -> bool:
        line = encode_line(event)
        when = time.time() if timestamp is None else timestamp
        if not self._lock.acquire(timeout=self._wait_s):
            self._drop("the disk is not keeping up")
            return False
        try:
            os.write(self._descriptor(when), line)
            self.written += 1
            return True
        except OSError as error:
            self._drop(str(error))
            return False
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _descriptor(self, when: float) -> int:
        period = period_folder(when, self.rolling_rate)
        if self._fd is None or period != self._period:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            path = self.path_for(when)
            make_private_dirs(os.path.dirname(path), self.owner)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            give_to(self.owner, self._fd)
            self._period = period
        return self._fd

    def _drop(self, reason: str) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("data collection: dropped %d event(s) for %s so far (%s)", self.dropped, self.folder, reason)


def give_to(owner: Optional[Tuple[int, int]], target: Any) -> None:
    """chown a new file (descriptor) or folder (path) to the host user; a no-op unless running as root."""
    if owner is None or os.geteuid() != 0 or owner == (0, 0):
        return
    if isinstance(target, int):
        os.fchown(target, *owner)
    else:
        os.chown(target, *owner)


def make_private_dirs(path: str, owner: Optional[Tuple[int, int]] = None) -> None:
    """Like os.makedirs, every folder it creates owner-only whatever the umask (and the host user's)."""
    if os.path.isdir(path):
        return
    make_private_dirs(os.path.dirname(path), owner)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)
    give_to(owner, path)
