"""Registered assets on disk: one folder per version holding `asset.json` and a copy of the files.

Files are copied at registration, as the cloud uploads them: a registered version stays what it was when
registered, whatever later happens to the working copy. Remote paths (https://, azureml://) are kept as URIs.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep.errors import LocalepError
from localep.fileio import PRIVATE_DIR_MODE, atomic_write_json, make_dirs
from localep.jsonfile import read_json
from localep.paths import home

MODELS = "models"
ENVIRONMENTS = "environments"
DATA = "data"
KINDS = (MODELS, ENVIRONMENTS, DATA)
SINGULAR = {MODELS: "model", ENVIRONMENTS: "environment", DATA: "data"}
ASSET_FILE = "asset.json"
FILES = "files"
ARCHIVED = "Archived"
DEFAULT_STAGE = "Development"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class AssetNotFound(LocalepError):
    """No such name (or version) in the local registry."""


class AssetExists(LocalepError):
    """Versions are immutable, as in a workspace: registering the same name and version twice is refused."""


@dataclass(frozen=True)
class Asset:
    kind: str
    name: str
    version: str
    type: str
    path: Optional[str] = None  # the registered copy (absolute), or a remote URI
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    properties: Dict[str, str] = field(default_factory=dict)
    stage: str = DEFAULT_STAGE
    created_at: str = ""
    source: Optional[str] = None  # where the files were copied from
    image: Optional[str] = None  # environments only, from here on
    conda_file: Optional[str] = None
    build: Optional[Dict[str, str]] = None
    inference_config: Optional[Dict[str, Any]] = None
    os_type: Optional[str] = None

    @property
    def archived(self) -> bool:
        return self.stage == ARCHIVED

    @property
    def reference(self) -> str:
        return f"azureml:{self.name}:{self.version}"

    @property
    def local_path(self) -> Optional[Path]:
        return None if self.path is None or REMOTE.match(self.path) else Path(self.path)


def registry_root() -> Path:
    return home() / "registry"


def _asset_dir(kind: str, name: str, version: str) -> Path:
    return registry_root() / kind / name / version


def _read(folder: Path) -> Optional[Asset]:
    path = folder / ASSET_FILE
    if not path.is_file():
        return None
    return Asset(**read_json(path, LocalepError, f"the registry entry {folder.parent.name}:{folder.name}"))


def versions_of(kind: str, name: str, include_archived: bool = True) -> List[Asset]:
    """Oldest first (registration order), as `@latest` means the newest."""
    folder = registry_root() / kind / name
    if not folder.is_dir():
        return []
    found = [asset for child in folder.iterdir() if child.is_dir() for asset in [_read(child)] if asset is not None]
    found.sort(key=lambda asset: (asset.created_at, _version_key(asset.version)))
    return [asset for asset in found if include_archived or not asset.archived]


def _version_key(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def latest_assets(kind: str, include_archived: bool = False, archived_only: bool = False) -> List[Asset]:
    """The newest version of every name, like `az ml model list` without --name."""
    root = registry_root() / kind
    names = sorted(child.name for child in root.iterdir() if child.is_dir()) if root.is_dir() else []
    latest = []
    for name in names:
        candidates = [a for a in versions_of(kind, name) if (a.archived if archived_only else include_archived or not a.archived)]
        if candidates:
            latest.append(candidates[-1])
    return latest


def get_asset(kind: str, name: str, version: Optional[str] = None) -> Asset:
    """One version; without one (or with "latest"), the newest that is not archived."""
    what = SINGULAR[kind]
    if version is None or version == "latest":
        candidates = versions_of(kind, name, include_archived=False)
        if not candidates:
            archived = versions_of(kind, name)
            raise AssetNotFound(
                f"{what} {name!r}: every version is archived" if archived
                else f"no {what} named {name!r} in the local registry ({registry_root() / kind})"
            )
        return candidates[-1]
    asset = _read(_asset_dir(kind, name, version))
    if asset is None:
        known = ", ".join(a.version for a in versions_of(kind, name)) or "none"
        raise AssetNotFound(f"no {what} {name}:{version} in the local registry (versions of {name!r}: {known})")
    return asset


def next_version(kind: str, name: str) -> str:
    numbers = [int(a.version) for a in versions_of(kind, name) if a.version.isdigit()]
    return str(max(numbers, default=0) + 1)


def register(asset: Asset, files: Optional[Path] = None, extra_files: Optional[Dict[str, Path]] = None) -> Asset:
    """Store a new version (the next integer when `asset.version` is empty), copying `files` (kept under their
    own name, as the cloud's mounts show them) and `extra_files` (an environment's conda_file or build folder)."""
    what = SINGULAR[asset.kind]
    if not NAME_PATTERN.match(asset.name):
        raise LocalepError(f"{what} name {asset.name!r} is not valid: letters, digits, '-', '_' and '.', "
                           "starting with a letter or digit")
    version = asset.version or next_version(asset.kind, asset.name)
    if not VERSION_PATTERN.match(version):
        raise LocalepError(f"{what} version {version!r} is not valid: letters, digits, '-', '_' and '.'")
    target = _asset_dir(asset.kind, asset.name, version)
    if (target / ASSET_FILE).exists():
        raise AssetExists(f"{what} {asset.name}:{version} is already registered; versions cannot change: "
                          f"register a new version (omit --version for the next one)")
    staging = target.parent / f".staging-{uuid.uuid4().hex}"
    make_dirs(target.parent, private=True)
    os.mkdir(staging, PRIVATE_DIR_MODE)
    try:
        stored = replace(asset, version=version, created_at=_now())
        if files is not None:
            stored = replace(stored, path=str(target / FILES / files.name), source=str(files))
            _copy(files, staging / FILES / files.name)
        for key, path in (extra_files or {}).items():
            _copy(path, staging / key / path.name)
            copied = str(target / key / path.name)
            if key == "build":
                stored = replace(stored, build={**(stored.build or {}), "path": copied})
            elif key == "conda_file":
                stored = replace(stored, conda_file=copied)
            else:
                raise ValueError(f"no file field {key!r} on a registered asset")
        atomic_write_json(staging / ASSET_FILE, asdict(stored), private=True)
        try:
            os.rename(staging, target)
        except OSError:
            raise AssetExists(f"{what} {asset.name}:{version} was registered meanwhile") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return stored


def _copy(source: Path, destination: Path) -> None:
    make_dirs(destination.parent, private=True)
    if source.is_dir():
        shutil.copytree(source, destination, symlinks=True)
    else:
        shutil.copy2(source, destination)


def set_archived(kind: str, name: str, version: Optional[str], archived: bool) -> List[Asset]:
    """Archive (or restore) one version, or every version of the name when none is given."""
    targets = [get_asset(kind, name, version)] if version else versions_of(kind, name)
    if not targets:
        raise AssetNotFound(f"no {SINGULAR[kind]} named {name!r} in the local registry")
    changed = []
    for asset in targets:
        updated = replace(asset, stage=ARCHIVED if archived else DEFAULT_STAGE)
        atomic_write_json(_asset_dir(kind, name, asset.version) / ASSET_FILE, asdict(updated), private=True)
        changed.append(updated)
    return changed


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
