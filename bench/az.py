"""Time the `az ml --local` quickstart script run unchanged through an `az` shim that runs `localep az`.

Anchor: `az ml online-deployment create --local` alone takes about 20 s every time (a fixed 15 s sleep plus
polling), so the whole public quickstart script needs well over 20 s with az ml --local.

    python bench/az.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, cli_env, localep, private_example, summary

SCRIPT = REPO / "tests" / "e2e" / "az_scripts" / "quickstart-local.sh"
AZ_ML_LOCAL_CREATE_SECONDS = 20.0


def shim_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="localep-bench-az-"))
    (folder / "az").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m localep az "$@"\n')
    (folder / "az").chmod(0o755)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    name = "bench-az"
    folder = private_example(name)
    env = dict(cli_env(), ENDPOINT_NAME=name)
    env["PATH"] = f"{shim_dir()}{os.pathsep}{env['PATH']}"
    localep(["build", str(folder / "blue-deployment.yml")], env)  # the image is cached, as for a warm az run
    times = []
    try:
        for _ in range(args.runs):
            started = time.monotonic()
            result = subprocess.run(["bash", str(SCRIPT)], cwd=folder, env=env, capture_output=True, text=True)
            times.append(time.monotonic() - started)
            if result.returncode != 0:
                raise SystemExit(f"the quickstart script failed:\n{result.stdout}\n{result.stderr}")
    finally:
        localep(["down", name], env, check=False)
    calls = sum(line.count("az ml ") for line in SCRIPT.read_text().splitlines() if not line.startswith("#"))
    print(f"quickstart-local.sh through `az` -> `localep az` ({calls} az calls, one curl): {summary(times)}")
    print(f"az ml --local: about {AZ_ML_LOCAL_CREATE_SECONDS:.0f}s for the deployment create alone; "
          f"ratio >= {AZ_ML_LOCAL_CREATE_SECONDS / min(times):.1f}x")


if __name__ == "__main__":
    main()
