"""Time `localep up` for the bundled example: cold (no cached env image), warm, and `down`.

Target (issue 2): warm `up` to the first successful /score in 2.0 s or less on a 2-core machine;
the anchor, `az ml online-deployment create --local`, takes about 20 s every time.

    python bench/up.py [--warm-runs 5] [--skip-cold]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cli_env, localep, private_example, summary, timed_up

TARGET_WARM_SECONDS = 2.0


def timed_down(name: str, env) -> float:
    started = time.monotonic()
    localep(["down", name], env)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--skip-cold", action="store_true", help="Keep the cached image (no cold measurement).")
    args = parser.parse_args()

    name = "bench-up"
    folder = private_example(name)
    deployment = folder / "blue-deployment.yml"
    env = cli_env()
    localep(["build", str(deployment)], env)
    key = json.loads(localep(["keys", name, "--json"], env).stdout)["primary"]  # kept for the endpoint from now on

    warm, downs = [], []
    try:
        if not args.skip_cold:
            cold = timed_up(deployment, env, key, "--rebuild")
            cold_down = timed_down(name, env)
            print(f"cold up (image built from scratch) to first 200: {cold:.2f}s; down: {cold_down:.2f}s")
        for _ in range(args.warm_runs):
            warm.append(timed_up(deployment, env, key))
            downs.append(timed_down(name, env))
    finally:
        localep(["down", name], env)  # a failed measurement must not leave the endpoint running
    print(f"warm up to first 200: {summary(warm)}")
    print(f"down:                 {summary(downs)}")
    median = sorted(warm)[len(warm) // 2]
    print(f"warm up vs target {TARGET_WARM_SECONDS:.1f}s: {median / TARGET_WARM_SECONDS:.2f}x of the budget "
          f"({'met' if median <= TARGET_WARM_SECONDS else 'MISSED'}); vs az ml --local (~20 s): {20 / median:.1f}x faster")


if __name__ == "__main__":
    main()
