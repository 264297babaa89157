"""The one-time notice for a flag that is accepted but does nothing here: shown once per LOCALEP_HOME, so a
script that passes `-g` and `-w` on every line is told once, not fifty times."""

from __future__ import annotations

import sys
from pathlib import Path

from localep.errors import LocalepError
from localep.fileio import atomic_write_json
from localep.jsonfile import read_json
from localep.paths import home


def notices_file() -> Path:
    return home() / "az" / "notices.json"


def notice_once(flag: str, why: str, quiet: bool = False) -> None:
    if quiet:
        return
    path = notices_file()
    try:
        seen = set(read_json(path, LocalepError, "the notices file")) if path.exists() else set()
    except LocalepError:
        seen = set()
    if flag in seen:
        return
    print(f"localep az: {flag} has no local effect: {why} (shown once)", file=sys.stderr)
    atomic_write_json(path, sorted(seen | {flag}), private=True)
