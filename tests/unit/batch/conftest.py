"""Fixtures shared by the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def data(tmp_path) -> Path:
    """A folder of input files, nested, in no particular order."""
    for relative in ("b.csv", "a.csv", "nested/c.csv", "nested/deeper/d.txt"):
        path = tmp_path / "data" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("1,2,3\n")
    return tmp_path / "data"
