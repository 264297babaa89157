"""Environment builds side by side, in one run, on one fixture (the offline base image + the example's conda file:
python, numpy and azureml-inference-server-http):

  1. localep, cold: an empty package cache and no layer to reuse
  2. localep, warm: the same environment after adding one package to the pip list
  3. localep, warm: after changing that package's pinned version
     (then the same with --installer pip: its first build, and a pin change)
  4. the baseline: the Dockerfile localep generated before the package cache (venv + pip install --no-cache-dir +
     the server step), built with the engine's classic builder from scratch; once before and once after the
     others, so that a proxy's cache favours neither side (the faster of the two counts)

Every build goes through the real CLI (`localep build`, wall clock, Python start-up included). Targets: (2) at most
25% of (1) and at most 4 s; (1) no slower than (4). Everything the bench creates is private (its own LOCALEP_HOME,
package cache volume and fixture content) and removed at the end.

    .venv/bin/python bench/build.py
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

import docker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from common import cli_env, localep, private_example  # noqa: E402
from localep.images import templates  # noqa: E402
from localep.images.inventory import environment_images, remove_images  # noqa: E402
from localep.images.prune import orphaned_layers, select_removals  # noqa: E402
from localep.images.settings import current_settings  # noqa: E402
from localep.images.usage import read_index  # noqa: E402

BASE_IMAGE = "localep-test/debian-python:bookworm"


def timed_build(deployment: Path, env: Dict[str, str], *extra: str) -> float:
    started = time.monotonic()
    localep(["build", str(deployment), "--pull", "never", "--json", *extra], env)
    return time.monotonic() - started


def plain_docker_build(client: docker.DockerClient, requirements: List[str], tag: str) -> float:
    """The Dockerfile localep generated before the package cache, built the same way (docker SDK, classic)."""
    settings = current_settings()
    dockerfile = (
        f"FROM {BASE_IMAGE}\n"
        + "".join(f"ARG {name}\n" for name in settings.build_args())
        + "COPY . /tmp/localep/\n"
        "RUN python3 -m venv /azureml-envs/localep \\\n"
        " && /azureml-envs/localep/bin/python -m pip install --no-cache-dir -r /tmp/localep/requirements.txt\n"
        "ENV PATH=/azureml-envs/localep/bin:$PATH\n"
        + templates.render("server.Dockerfile")
    )
    files = {"Dockerfile": dockerfile.encode(), "requirements.txt": "".join(f"{r}\n" for r in requirements).encode()}
    if settings.ca_bundle:
        files["ca.crt"] = settings.ca_bundle.read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    started = time.monotonic()
    for chunk in client.api.build(fileobj=buffer, custom_context=True, tag=tag, rm=True, forcerm=True, nocache=True,
                                  decode=True, buildargs=settings.build_args()):
        if "error" in chunk:
            raise SystemExit(f"plain docker build failed: {chunk['error']}")
    return time.monotonic() - started


def remove_what_the_bench_built(client: docker.DockerClient, home: str, volume: str, baseline: str) -> None:
    """Only images this bench's private LOCALEP_HOME recorded (and layers no other image stands on)."""
    os.environ["LOCALEP_HOME"] = home
    facts = environment_images(client, read_index())
    removals = select_removals([fact for fact in facts if fact.recorded], keep=0)
    remove_images(client, removals, orphaned_layers(facts, removals))
    for name in (baseline,):
        try:
            client.images.remove(name)
        except docker.errors.ImageNotFound:
            pass
    try:
        client.volumes.get(volume).remove(force=True)
    except docker.errors.NotFound:
        pass


def main() -> None:
    client = docker.from_env(timeout=600)
    client.images.get(BASE_IMAGE)
    run = uuid.uuid4().hex[:8]
    env = cli_env()
    env["LOCALEP_HOME"] = tempfile.mkdtemp(prefix="localep-bench-home-")
    env["LOCALEP_PACKAGE_CACHE"] = f"localep-bench-cache-{run}"
    project = private_example(f"bench-build-{run}")
    deployment = project / "blue-deployment.yml"
    conda = project / "environment" / "conda.yaml"
    conda.write_text(f"# bench run {run}\n" + conda.read_text())
    baseline = f"localep-bench/plain-pip:{run}"
    print(f"fixture: {BASE_IMAGE} + {conda.name} (python 3.11, numpy 1.26, azureml-inference-server-http)",
          file=sys.stderr)
    requirements = ["numpy==1.26.*", "azureml-inference-server-http"]
    try:
        plain_first = plain_docker_build(client, requirements, baseline)
        cold = timed_build(deployment, env, "--rebuild")
        conda.write_text(conda.read_text() + "      - six==1.16.0\n")
        add_one = timed_build(deployment, env)
        conda.write_text(conda.read_text().replace("six==1.16.0", "six==1.17.0"))
        pin_change = timed_build(deployment, env)
        pip_cold = timed_build(deployment, env, "--installer", "pip")
        conda.write_text(conda.read_text().replace("six==1.17.0", "six==1.16.0"))
        pip_pin_change = timed_build(deployment, env, "--installer", "pip")
        plain_last = plain_docker_build(client, requirements, baseline)
    finally:
        remove_what_the_bench_built(client, env["LOCALEP_HOME"], env["LOCALEP_PACKAGE_CACHE"], baseline)
    print(f"cold build (empty package cache, uv)          {cold:6.1f} s")
    print(f"warm rebuild, one package added               {add_one:6.1f} s   {add_one / cold:5.1%} of cold"
          f"   target <= 25% and <= 4 s: {'met' if add_one <= 4 and add_one <= cold / 4 else 'MISSED'}")
    print(f"warm rebuild, pinned version changed          {pin_change:6.1f} s   {pin_change / cold:5.1%} of cold")
    print(f"--installer pip, first build (no pip cache)   {pip_cold:6.1f} s")
    print(f"--installer pip, pinned version changed       {pip_pin_change:6.1f} s   {pip_pin_change / pip_cold:5.1%} "
          "of its first build")
    plain = min(plain_first, plain_last)
    print(f"plain docker build, pip --no-cache-dir        {plain:6.1f} s   (before {plain_first:.1f} s, after "
          f"{plain_last:.1f} s)   cold/plain {cold / plain:4.2f}   target cold <= plain: "
          f"{'met' if cold <= plain else 'MISSED'}")


if __name__ == "__main__":
    main()
