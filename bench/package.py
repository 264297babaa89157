"""`localep package` of the bundled example with a warm environment cache (issue 23; target: under 5 s), side by side
with `localep build` of the same deployment (the environment lookup alone), through the real CLI (wall clock,
Python start-up included):

  1. a new package: a private copy whose score.py no earlier run has seen (new code layer, cached environment)
  2. the same package again, nothing changed (every step cached)
  3. after an edit to score.py (only the code layer and the steps after it are new)

It prints the wall clock and the command's own figure (its `seconds`, after Python start-up and imports), with
the machine's load average, since the machine is shared.

Each case runs 5 times; the images the bench makes are removed at the end.

    .venv/bin/python bench/package.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from common import cli_env, localep, private_example, summary  # noqa: E402

RUNS = 5
TARGET_SECONDS = 5.0


def timed(args: List[str], env: Dict[str, str], inside: Dict[str, List[float]], case: str) -> float:
    """Wall clock of the CLI; `inside` collects the command's own figure (`seconds`: after Python start-up)."""
    started = time.monotonic()
    result = localep(args, env)
    wall = time.monotonic() - started
    if args[0] == "package":
        inside.setdefault(case, []).append(json.loads(result.stdout)["seconds"])
    return wall


def edit(script: Path) -> None:
    script.write_text(script.read_text() + f"\n# bench edit {uuid.uuid4().hex}\n")


def main() -> None:
    env = cli_env()
    tags: List[str] = []
    inside: Dict[str, List[float]] = {}
    results: Dict[str, List[float]] = {"build (environment lookup)": [], "1. new package": [],
                                       "2. same package again": [], "3. after an edit to score.py": []}
    warm = private_example("bench-package")
    localep(["build", str(warm / "blue-deployment.yml"), "--json"], env)  # the environment cache is warm from here
    try:
        for _ in range(RUNS):
            folder = private_example("bench-package")
            deployment = folder / "blue-deployment.yml"
            edit(folder / "onlinescoring" / "score.py")
            tag = f"localep-bench/package-{uuid.uuid4().hex[:8]}:1"
            tags.append(tag)
            for case in results:
                if case.startswith("3."):
                    edit(folder / "onlinescoring" / "score.py")
                args = ["build", str(deployment), "--json"] if case.startswith("build") else \
                    ["package", str(deployment), "-t", tag, "--json"]
                results[case].append(timed(args, env, inside, case))
    finally:
        if tags:
            subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)
    lookup = min(results["build (environment lookup)"])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wall clock, CLI start-up included:")
    for case, values in results.items():
        print(f"{case:32s} {summary(values)}  x{min(values) / lookup:.1f} of the lookup")
    print("the package command's own time (after Python start-up and imports):")
    for case, values in inside.items():
        print(f"{case:32s} {summary(values)}")
    worst = max(max(values) for case, values in results.items() if case[0].isdigit())
    print(json.dumps({"target_seconds": TARGET_SECONDS, "worst_package_seconds": round(worst, 3),
                      "met": worst < TARGET_SECONDS}))


if __name__ == "__main__":
    main()
