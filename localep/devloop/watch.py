"""Watch the deployment's files on the host (works with Docker Desktop, where inotify through bind mounts is
unreliable) and report bursts of saves as one change, classified by what it requires."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Set

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

RELOAD = "reload"  # code or model: the running server re-imports the script and re-runs init()
REBUILD = "rebuild"  # conda file or Docker context: a new image and a new container

IGNORED_PARTS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ipynb_checkpoints", ".idea", ".vscode"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", ".tmp", "~")


@dataclass(frozen=True)
class WatchTarget:
    """A file or folder of one deployment, and what a change to it requires."""

    deployment: str
    path: Path
    action: str


@dataclass(frozen=True)
class Change:
    deployment: str
    action: str
    paths: FrozenSet[Path] = field(default_factory=frozenset)


def is_noise(path: Path) -> bool:
    """Editor swap files, bytecode and VCS folders are not saves."""
    name = path.name
    return (
        any(part in IGNORED_PARTS for part in path.parts)
        or name.endswith(IGNORED_SUFFIXES)
        or name.startswith((".#", "#"))
        or name == "4913"  # vim's write test
    )


def match_targets(path: Path, targets: Iterable[WatchTarget]) -> List[WatchTarget]:
    return [t for t in targets if path == t.path or t.path in path.parents]


def collapse(events: Iterable[tuple]) -> List[Change]:
    """(target, path) pairs -> one Change per deployment; a rebuild subsumes a reload."""
    actions: Dict[str, str] = {}
    paths: Dict[str, Set[Path]] = {}
    for target, path in events:
        if actions.get(target.deployment) != REBUILD:
            actions[target.deployment] = target.action
        paths.setdefault(target.deployment, set()).add(path)
    return [Change(name, actions[name], frozenset(paths[name])) for name in sorted(actions)]


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: ChangeWatcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self.watcher.saw(Path(raw if isinstance(raw, str) else raw.decode()))


class ChangeWatcher:
    """Calls `on_changes` once per burst of saves, after `quiet_seconds` without a new event."""

    def __init__(self, targets: List[WatchTarget], on_changes: Callable[[List[Change]], None],
                 quiet_seconds: float = 0.1):
        self.targets = targets
        self.on_changes = on_changes
        self.quiet_seconds = quiet_seconds
        self._pending: List[tuple] = []
        self._lock = threading.Lock()
        self._timer: Optional[threading.Timer] = None
        self._observer = Observer()

    def saw(self, path: Path) -> None:
        if is_noise(path):
            return
        matched = match_targets(path, self.targets)
        if not matched:
            return
        with self._lock:
            self._pending.extend((target, path) for target in matched)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.quiet_seconds, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._timer = None
        if pending:
            self.on_changes(collapse(pending))

    def start(self) -> ChangeWatcher:
        folders = {t.path if t.path.is_dir() else t.path.parent for t in self.targets}
        for folder in sorted(_outermost(folders)):
            self._observer.schedule(_Handler(self), str(folder), recursive=True)
        self._observer.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self._observer.stop()
        self._observer.join(timeout=5)

    def __enter__(self) -> ChangeWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _outermost(folders: Set[Path]) -> Set[Path]:
    """Watching a folder recursively covers its sub-folders; scheduling both would double every event."""
    return {f for f in folders if not any(other in f.parents for other in folders)}
