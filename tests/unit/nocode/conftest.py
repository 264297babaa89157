from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch) -> Path:
    """Generated conda files go under $LOCALEP_HOME: never the user's own."""
    home = tmp_path / "localep-home"
    monkeypatch.setenv("LOCALEP_HOME", str(home))
    return home
