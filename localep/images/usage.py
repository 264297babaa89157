"""Which deployment files use which environment images, and when they were last used: $LOCALEP_HOME/images.json.

Image labels cannot change after a build, so "last used" lives in this small index, updated on every build or
reuse (read-modify-write under a lock file, replaced atomically). `localep prune` only ever removes images this
index names, so images that another LOCALEP_HOME (or another user of the engine) built are never touched.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from localep.fileio import atomic_write_json, open_append
from localep.images.kinds.base import BaseImageFacts
from localep.jsonfile import read_json_or_none
from localep.paths import home

INDEX_NAME = "images.json"
BASE_FACTS_NAME = "base-images.json"
_THREAD_LOCK = threading.Lock()

try:
    import fcntl
except ImportError:  # Windows: one localep process at a time is assumed there
    fcntl = None  # type: ignore[assignment]

Index = Dict[str, Any]


def index_path() -> Path:
    return home() / INDEX_NAME


def empty_index() -> Index:
    return {"images": {}, "deployments": {}}


def with_use(index: Index, tag: str, deployment_file: str, when: float, layers: Sequence[str] = ()) -> Index:
    """`deployment_file` now uses `tag` (so any image it used before is superseded, unless another file uses it)."""
    updated = copy.deepcopy(index)
    record = updated["images"].setdefault(tag, {"used_by": {}, "layers": []})
    record["last_used"] = when
    record["used_by"][deployment_file] = when
    if layers:
        record["layers"] = list(layers)
    updated["deployments"][deployment_file] = tag
    return updated


def without_images(index: Index, tags: Sequence[str]) -> Index:
    updated = copy.deepcopy(index)
    for tag in tags:
        updated["images"].pop(tag, None)
    updated["deployments"] = {file: tag for file, tag in updated["deployments"].items() if tag not in tags}
    return updated


def current_users(index: Index, tag: str) -> List[str]:
    """Deployment files whose latest build is `tag`."""
    return sorted(file for file, current in index["deployments"].items() if current == tag)


def read_index(path: Optional[Path] = None) -> Index:
    path = path or index_path()
    data = read_json_or_none(path)
    if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
        return empty_index()
    data.setdefault("deployments", {})
    return data


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with _THREAD_LOCK, open_append(path.with_name(path.name + ".lock"), private=True) as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield


def record_use(tag: str, deployment_file: Path, layers: Sequence[str] = (), path: Optional[Path] = None) -> None:
    path = path or index_path()
    with _locked(path):
        index = with_use(read_index(path), tag, str(deployment_file.resolve()), time.time(), layers)
        atomic_write_json(path, index, private=True)


def forget_images(tags: Sequence[str], path: Optional[Path] = None) -> None:
    path = path or index_path()
    with _locked(path):
        atomic_write_json(path, without_images(read_index(path), tags), private=True)


def known_base_facts(image_id: str, path: Optional[Path] = None) -> Optional[BaseImageFacts]:
    """What an earlier probe learned about this base image (by id), if anything."""
    path = path or home() / BASE_FACTS_NAME
    known = read_json_or_none(path)
    record = known.get(image_id) if isinstance(known, dict) else None
    if not isinstance(record, dict):
        return None
    return BaseImageFacts(image=record.get("image", ""), image_id=image_id, conda=record.get("conda"),
                          python_version=record.get("python_version"))


def remember_base_facts(facts: BaseImageFacts, path: Optional[Path] = None) -> None:
    path = path or home() / BASE_FACTS_NAME
    with _locked(path):
        known = read_json_or_none(path)
        if not isinstance(known, dict):
            known = {}
        known[facts.image_id] = {"image": facts.image, "conda": facts.conda, "python_version": facts.python_version}
        atomic_write_json(path, known, private=True)
