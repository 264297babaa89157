"""Where localep keeps what must outlive a command: $LOCALEP_HOME, else ~/.localep."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("LOCALEP_HOME") or Path.home() / ".localep")
