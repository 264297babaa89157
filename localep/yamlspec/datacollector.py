"""A deployment's `data_collector`, typed, and the rules its values follow (the cloud's schema, in one place).

`enabled` is the *string* 'True' or 'False' in the cloud's schema: YAML's `true`, 'yes' or 'TRUE' are errors
there, so they are errors here (and the string "False" must never be taken as truthy). `data.path` names a
datastore folder as `azureml://datastores/<name>/paths/<path>`; without it a collection goes to the cloud's
default, `workspaceblobstore` under `modelDataCollector/<endpoint>/<deployment>/<collection>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

ENABLED_VALUES = ("True", "False")
REQUEST = "request"
RESPONSE = "response"
PAYLOAD_COLLECTIONS = (REQUEST, RESPONSE)  # reserved: logged by the endpoint itself, no code
ROLLING_RATES = ("minute", "hour", "day", "month", "year")
DEFAULT_ROLLING_RATE = "hour"
DEFAULT_DATASTORE = "workspaceblobstore"
DEFAULT_ROOT = "modelDataCollector"
DATASTORE_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/(?:providers/Microsoft\.MachineLearningServices/)?"
    r"workspaces/[^/]+/)?datastores/(?P<datastore>[A-Za-z0-9_]+)/paths/(?P<path>[^?#]*)$"
)
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_.=-]+$")


def parse_enabled(value: Any) -> bool:
    """'True' -> True, 'False' -> False; anything else raises ValueError with the message users see."""
    if isinstance(value, str) and value in ENABLED_VALUES:
        return value == "True"
    shown = repr(value) if isinstance(value, str) else f"{value!r} (a YAML {type(value).__name__})"
    raise ValueError(f"expected the string 'True' or 'False' (quoted, as the cloud's schema wants), got {shown}")


def parse_datastore_path(value: str) -> Tuple[str, str]:
    """`azureml://datastores/<name>/paths/<p>` -> (name, p); raises ValueError for anything else.

    Path segments are checked so a collection can never write outside its datastore folder."""
    match = DATASTORE_PATH.match(value.strip())
    if match is None:
        raise ValueError(f"expected azureml://datastores/<datastore>/paths/<path>, got {value!r}")
    segments = [segment for segment in match.group("path").split("/") if segment]
    if not segments or any(segment in (".", "..") or not _SAFE_SEGMENT.match(segment) for segment in segments):
        raise ValueError(f"the path in {value!r} must be a folder of letters, digits, '.', '_', '-' and '='")
    return match.group("datastore"), "/".join(segments)


@dataclass(frozen=True)
class Collection:
    name: str
    enabled: bool
    datastore: str = DEFAULT_DATASTORE
    path: Optional[str] = None  # inside the datastore; None for the cloud's default folder
    data_name: Optional[str] = None  # `data.name`: registered as a data asset
    data_version: Optional[str] = None

    @property
    def payload(self) -> bool:
        """Request/response payload logging (done by the endpoint) rather than custom logging (score.py)."""
        return self.name.lower() in PAYLOAD_COLLECTIONS

    def folder(self, endpoint: str, deployment: str) -> str:
        """The folder inside the datastore, slash-separated."""
        return self.path or f"{DEFAULT_ROOT}/{endpoint}/{deployment}/{self.name}"


@dataclass(frozen=True)
class DataCollector:
    collections: Tuple[Collection, ...] = ()
    rolling_rate: str = DEFAULT_ROLLING_RATE
    sampling_rate: float = 1.0
    capture_headers: Tuple[str, ...] = ()

    def enabled(self, payload: Optional[bool] = None) -> Tuple[Collection, ...]:
        """Enabled collections; `payload` True/False keeps only payload or only custom ones."""
        return tuple(c for c in self.collections if c.enabled and (payload is None or c.payload == payload))


def build_data_collector(raw: Optional[Dict[str, Any]]) -> Optional[DataCollector]:
    """From the shape-checked YAML mapping (None when the deployment has no data_collector)."""
    if not raw:
        return None
    collections = []
    for name, entry in (raw.get("collections") or {}).items():
        entry = entry or {}
        data = entry.get("data") or {}
        datastore, path = parse_datastore_path(data["path"]) if data.get("path") else (DEFAULT_DATASTORE, None)
        version = data.get("version")
        collections.append(Collection(
            name=str(name),
            enabled=parse_enabled(entry["enabled"]) if entry.get("enabled") is not None else False,
            datastore=datastore,
            path=path,
            data_name=data.get("name"),
            data_version=None if version is None else str(version),
        ))
    logging = raw.get("request_logging") or {}
    return DataCollector(
        collections=tuple(collections),
        rolling_rate=(raw.get("rolling_rate") or DEFAULT_ROLLING_RATE).lower(),
        sampling_rate=float(raw["sampling_rate"]) if raw.get("sampling_rate") is not None else 1.0,
        capture_headers=tuple(str(header) for header in (logging.get("capture_headers") or ())),
    )
