"""Reading a JSON file the user (or localep) wrote, with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Type

from localep.errors import LocalepError, Location


def read_json_or_none(path: Path) -> Any:
    """For localep's own bookkeeping files: None when the file is missing or not valid JSON (start afresh)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def read_json(path: Path, error: Type[LocalepError], what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", Location(path)) from None
    except json.JSONDecodeError as problem:
        raise error(f"{what} is not valid JSON: {problem.msg}", Location(path, problem.lineno)) from None
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text", Location(path)) from None
