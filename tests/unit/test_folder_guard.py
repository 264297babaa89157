"""The CI guard against source folders named like tests, build output or vendored code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / ".ci" / "folder_guard.py"


def run_guard(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GUARD), str(root)], capture_output=True, text=True, timeout=60)


def test_the_repository_passes():
    assert run_guard(REPO).returncode == 0


@pytest.mark.parametrize("name", ["spec", "build", "dist", "vendor", "test", "tests", "node_modules", "Specs"])
def test_a_misnamed_source_folder_fails_naming_it(tmp_path, name):
    (tmp_path / "localep" / "images" / name).mkdir(parents=True)
    (tmp_path / "localep" / "images" / name / "__init__.py").write_text("")
    result = run_guard(tmp_path)
    assert result.returncode == 1
    assert f"localep/images/{name}" in result.stderr


def test_names_that_only_contain_a_reserved_word_pass(tmp_path):
    for name in ("yamlspec", "images", "testdata_tools", "builder"):
        (tmp_path / "localep" / name).mkdir(parents=True)
    assert run_guard(tmp_path).returncode == 0
