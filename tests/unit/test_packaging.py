"""Every folder of Python code under localep/ is a regular package: setuptools' find_packages (pyproject.toml)
leaves out folders without __init__.py, so an installed wheel would lack them while an editable install works."""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_code_folder_is_packaged():
    code_folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "localep").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    packaged = set(find_packages(str(ROOT), include=["localep*"]))
    assert sorted(code_folders - packaged) == []
