from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Callable

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spec"


@pytest.fixture(autouse=True)
def private_localep_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The spec loader reads the local registry under $LOCALEP_HOME: never the developer's own."""
    home = tmp_path / "localep-home"
    monkeypatch.setenv("LOCALEP_HOME", str(home))
    return home


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/spec, so a test can break files without touching the others."""
    root = tmp_path / "spec"
    shutil.copytree(FIXTURES, root)
    return root


@pytest.fixture
def write(tree: Path) -> Callable[[str, str], Path]:
    def write_file(relative: str, text: str) -> Path:
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write_file
