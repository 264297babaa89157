"""Reading a JSON file the user (or localep) wrote, with errors that name the file and line; writing one atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Type

from localep.errors import LocalepError, Location


def read_json(path: Path, error: Type[LocalepError], what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", Location(path)) from None
    except json.JSONDecodeError as problem:
        raise error(f"{what} is not valid JSON: {problem.msg}", Location(path, problem.lineno)) from None
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text", Location(path)) from None


def write_json(path: Path, data: Any, mode: int = 0o600) -> None:
    """Readers never see half a file: write beside it, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(temporary, mode)
    temporary.replace(path)
