"""Batch scoring throughput of `localep batch run` for 1x1, 1x2 and 2x2 (instances x workers per instance).

The script is I/O-bound: run() sleeps 50 ms per file (the test fixture's BATCH_SLEEP). Excluding start-up is the
scoring phase (first mini-batch handed out to the last one finished); including start-up is the whole job, from
the CLI's start to its exit. Target (issue 9): 2x2 scores at least 3.5x as many items/s as 1x1 on 2 cores.

    python bench/batch.py [--files 480] [--mini-batch-size 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, cli_env, localep

DEPLOYMENT = REPO / "tests" / "fixtures" / "batch" / "deployment.yml"
SHAPES = ((1, 1), (1, 2), (2, 2))
TARGET_SPEEDUP = 3.5


def write_inputs(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        (folder / f"f{index:04d}.csv").write_text(f"{index},{index % 5},{index / 3}\n")


def measure(data: Path, out: Path, instances: int, workers: int, mini_batch_size: int, env) -> dict:
    started = time.monotonic()
    result = localep(["batch", "run", str(DEPLOYMENT), "--input", str(data), "--output", str(out), "--json",
                      "--mini-batch-size", str(mini_batch_size), "--set", f"resources.instance_count={instances}",
                      "--set", f"settings.max_concurrency_per_instance={workers}",
                      "--set", "settings.environment_variables.BATCH_SLEEP=0.05",
                      "--set", "settings.environment_variables.BATCH_RETURN=list"], env)
    total = time.monotonic() - started
    summary = json.loads(result.stdout)
    if summary["status"] != "Completed" or summary["failed"]:
        raise SystemExit(f"{instances}x{workers}: the job did not complete cleanly: {summary}")
    return {"scoring": summary["items"] / summary["scoring_seconds"], "total": summary["items"] / total,
            "startup": summary["startup_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=480)
    parser.add_argument("--mini-batch-size", type=int, default=10)
    args = parser.parse_args()
    env = cli_env()
    root = Path(tempfile.mkdtemp(prefix="localep-bench-batch-"))
    write_inputs(root / "data", args.files)
    warm = root / "warm"
    write_inputs(warm, 1)
    localep(["batch", "run", str(DEPLOYMENT), "--input", str(warm), "--output", str(root / "warm-out")], env)

    results = {}
    for instances, workers in SHAPES:
        results[(instances, workers)] = measure(root / "data", root / f"out-{instances}x{workers}", instances, workers,
                                                args.mini_batch_size, env)
    base = results[(1, 1)]
    print(f"{args.files} files, mini_batch_size {args.mini_batch_size}, run() sleeps 50 ms per file")
    print(f"{'shape':<6} {'items/s scoring':>16} {'x 1x1':>7} {'items/s incl. start-up':>23} {'x 1x1':>7} "
          f"{'start-up s':>11}")
    for (instances, workers), result in results.items():
        print(f"{instances}x{workers:<4} {result['scoring']:>16.1f} {result['scoring'] / base['scoring']:>7.2f} "
              f"{result['total']:>23.1f} {result['total'] / base['total']:>7.2f} {result['startup']:>11.2f}")
    speedup = results[(2, 2)]["scoring"] / base["scoring"]
    print(f"2x2 vs 1x1 scoring throughput: {speedup:.2f}x (target {TARGET_SPEEDUP}x: "
          f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'})")


if __name__ == "__main__":
    main()
