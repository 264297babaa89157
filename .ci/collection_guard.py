#!/usr/bin/env python3
"""Fail when pytest silently loses tests: a test file or folder it does not collect, or fewer tests than defined.

pytest skips folders named build, dist, venv, node_modules (and more) without a word, and a test function defined
twice under one name silently replaces the first. This compares what the files define (read with `ast`, no import)
with what `pytest --collect-only` collects, per file.
    usage: .ci/collection_guard.py [ROOT] [--python PYTHON]     (ROOT defaults to the repository)
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List


def defined_tests(source: str) -> int:
    """Test functions pytest would collect at least once: module-level test_* and test_* methods of Test* classes."""
    tree = ast.parse(source)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.name.startswith("test"):
                    names.add(f"{node.name}.{member.name}")
    return len(names)


def duplicate_definitions(source: str) -> List[str]:
    """Module-level test functions defined more than once: only the last one runs."""
    tree = ast.parse(source)
    counts = Counter(
        node.name for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")
    )
    return sorted(name for name, count in counts.items() if count > 1)


def test_files(root: Path) -> List[Path]:
    tests = root / "tests"
    return sorted(
        path for path in tests.rglob("*.py")
        if (path.name.startswith("test_") or path.name.endswith("_test.py")) and "__pycache__" not in path.parts
    )


def collected_per_file(root: Path, python: str) -> Dict[str, int]:
    result = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root, capture_output=True, text=True,
    )
    if result.returncode not in (0, 5):  # 5: nothing collected, which the comparison below reports
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"collection-guard: pytest --collect-only failed with exit code {result.returncode}")
    counts: Counter = Counter()
    for line in result.stdout.splitlines():
        if "::" in line:
            counts[line.split("::", 1)[0]] += 1
    return dict(counts)


def problems(root: Path, python: str) -> List[str]:
    found: List[str] = []
    collected = collected_per_file(root, python)
    folders: Dict[Path, int] = {}
    for path in test_files(root):
        relative = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8")
        defined = defined_tests(source)
        got = collected.get(relative, 0)
        folders[path.parent] = folders.get(path.parent, 0) + got
        for name in duplicate_definitions(source):
            found.append(f"{relative}: {name} is defined more than once; only the last definition runs")
        if got < defined:
            found.append(f"{relative}: defines {defined} test(s) but pytest collected {got}")
    for folder, got in sorted(folders.items()):
        if got == 0:
            found.append(f"{folder.relative_to(root).as_posix()}/: pytest collected no test from this folder")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    found = problems(root, args.python)
    for line in found:
        print(f"collection-guard: {line}", file=sys.stderr)
    if found:
        return 1
    total = sum(defined_tests(p.read_text(encoding="utf-8")) for p in test_files(root))
    print(f"collection-guard: every test file and folder is collected ({total} test functions defined)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
