#!/usr/bin/env python3
"""Fail on a source folder whose name tools take for tests, build output or vendored code.

Test runners, coverage, linters and import-graph viewers skip or misread folders named like these (pytest skips
`build` and `dist` without a word; many tools read `spec` and `test` as tests), so a package named so silently
drops out of their view. `localep/build` and `localep/spec` both did.
    usage: .ci/folder_guard.py [ROOT]     (ROOT defaults to the repository; checks ROOT/localep)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

RESERVED_NAMES = frozenset({
    "build", "dist", "venv", ".venv", "env", "node_modules", "vendor", "vendored", "third_party",
    "spec", "specs", "test", "tests", "testing", "__tests__", "site-packages", "out", "target",
})


def misnamed_folders(package: Path) -> List[Path]:
    return sorted(
        path for path in package.rglob("*")
        if path.is_dir() and path.name.lower() in RESERVED_NAMES and "__pycache__" not in path.parts
    )


def main(argv: List[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    found = misnamed_folders(root / "localep")
    for path in found:
        print(f"folder-guard: {path.relative_to(root)}: a source folder named {path.name!r} is skipped or misread "
              f"as tests, build output or vendored code by common tools; rename it", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
