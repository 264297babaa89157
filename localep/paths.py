"""Where localep keeps what outlives one command ($LOCALEP_HOME, default ~/.localep): endpoint state, generated files."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("LOCALEP_HOME") or Path.home() / ".localep")
