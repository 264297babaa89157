"""The CI guard against silently uncollected tests, run on small trees that lose tests in the ways pytest allows."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / ".ci" / "collection_guard.py"

spec = importlib.util.spec_from_file_location("collection_guard", GUARD)
assert spec is not None and spec.loader is not None
guard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(guard)


def make_tree(root: Path, files: dict) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_guard(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GUARD), str(root)], capture_output=True, text=True, timeout=120)


def test_a_folder_pytest_skips_by_name_fails_the_guard(tmp_path):
    root = make_tree(tmp_path, {
        "tests/unit/ok/test_fine.py": "def test_one():\n    pass\n",
        "tests/unit/build/test_lost.py": "def test_two():\n    pass\n\ndef test_three():\n    pass\n",
    })
    result = run_guard(root)
    assert result.returncode == 1
    assert "tests/unit/build/test_lost.py: defines 2 test(s) but pytest collected 0" in result.stderr
    assert "tests/unit/build/: pytest collected no test from this folder" in result.stderr
    assert "ok" not in result.stderr.replace("collected", "")


def test_a_shadowed_test_function_fails_the_guard(tmp_path):
    root = make_tree(tmp_path, {"tests/test_twice.py": "def test_same():\n    assert 0\n\ndef test_same():\n    pass\n"})
    result = run_guard(root)
    assert result.returncode == 1
    assert "test_same is defined more than once" in result.stderr


def test_a_complete_tree_passes_with_parametrized_and_class_tests(tmp_path):
    root = make_tree(tmp_path, {
        "tests/test_all.py": (
            "import pytest\n\n"
            "@pytest.mark.parametrize('n', [1, 2, 3])\ndef test_param(n):\n    pass\n\n"
            "class TestGroup:\n    def test_member(self):\n        pass\n\n"
            "def helper():\n    pass\n"
        ),
    })
    result = run_guard(root)
    assert result.returncode == 0, result.stderr
    assert "2 test functions defined" in result.stdout


def test_defined_tests_counts_without_importing():
    source = "import does_not_exist\n\ndef test_a():\n    pass\n\nclass TestB:\n    def test_c(self):\n        pass\n"
    assert guard.defined_tests(source) == 2
