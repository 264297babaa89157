"""The package cache for real: a second environment installs what a first one downloaded without downloading it,
a build with the package index unreachable succeeds from the cache (and fails clearly when the cache lacks a
package), and `localep images` / `localep prune` see and remove only this module's own images.

Everything here is private: its own LOCALEP_HOME (so prune only ever knows this module's images), its own cache
volume and environment content no other test builds. The unreachable index is a proxy on the build container's
own loopback (127.0.0.1:9): nothing leaves this machine.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from conftest import EXAMPLE, Cli

SERVER = "azureml-inference-server-http"
UNREACHABLE_PROXY = "http://127.0.0.1:9"
OFFLINE_NOTICE = "the package index cannot be reached; installing from the package cache only"


@pytest.fixture(scope="module")
def private(tmp_path_factory, cli_env, base_image, docker_client):
    """A CLI with its own home and cache volume; afterwards this module's images and volume are removed."""
    run = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("cache-home")
    env = dict(cli_env, LOCALEP_HOME=str(home), LOCALEP_PACKAGE_CACHE=f"localep-test-cache-{run}")
    yield Cli(env), run, home
    _remove_own_images(docker_client, home)
    try:
        docker_client.volumes.get(env["LOCALEP_PACKAGE_CACHE"]).remove(force=True)
    except Exception:  # already gone
        pass


def _remove_own_images(docker_client, home: Path) -> None:
    """Only the images this module's private index names, and layers no other image stands on."""
    from localep.images.inventory import environment_images, remove_images
    from localep.images.prune import orphaned_layers, select_removals
    from localep.images.usage import read_index

    index = read_index(home / "images.json")
    facts = environment_images(docker_client, index)
    removals = select_removals([fact for fact in facts if fact.recorded], keep=0)
    remove_images(docker_client, removals, orphaned_layers(facts, removals))


def project_with(tmp_path: Path, name: str, run: str, pip: List[str]) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLE, folder)
    conda = folder / "environment" / "conda.yaml"
    conda.write_text(f"# {run} {name}\nname: {name}\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
                     + "".join(f"      - {line}\n" for line in pip))
    return folder / "blue-deployment.yml"


def build(cli: Cli, deployment: Path, *args: str, env: Optional[Dict[str, str]] = None) -> Tuple[Any, str]:
    """The build's result and its progress log (progress is quiet with --json, so this reads the text output)."""
    runner = Cli(dict(cli.env, **(env or {})))
    result = runner.run("build", str(deployment), "--pull", "never", *args, timeout=900)
    return result, result.stderr.decode()


def image_of(result) -> str:
    """`blue: localep/env:... (pip, built)` -> the image."""
    return result.stdout.decode().split(": ", 1)[1].split(" ", 1)[0]


def test_a_second_environment_installs_from_the_cache_and_builds_with_the_index_unreachable(
        private, tmp_path, docker_client):
    cli, run, _ = private
    first = project_with(tmp_path, "first", run, [SERVER, "six"])
    result, log = build(cli, first, "--rebuild")
    assert result.returncode == 0, log
    assert "fetching uv" in log and "Prepared" in log, "an empty cache downloads: " + log

    second = project_with(tmp_path, "second", run, ["six", SERVER])
    result, log = build(cli, second, "--rebuild")
    assert result.returncode == 0, log
    assert "Installed" in log and "Prepared" not in log, "everything came from the cache, nothing was fetched: " + log
    assert "fetching uv" not in log

    result, log = build(cli, second, "--rebuild", env={"HTTPS_PROXY": UNREACHABLE_PROXY,
                                                       "HTTP_PROXY": UNREACHABLE_PROXY})
    assert result.returncode == 0, log
    assert OFFLINE_NOTICE in log
    image = image_of(result)
    config = docker_client.images.get(image).attrs["Config"]
    assert not any("PROXY" in item for item in config.get("Env") or []), "build settings stay out of the image"
    assert config["Env"][0].startswith("PATH=/azureml-envs/localep/bin:")
    output = docker_client.containers.run(
        image, entrypoint=["/opt/localep/python", "-c"], remove=True, network_disabled=True,
        command=["import azureml_inference_server_http, six, os; print(os.path.exists('/tmp/localep'))"])
    assert output.decode().strip() == "False"


def test_a_package_the_cache_lacks_fails_offline_with_the_installers_own_words(private, tmp_path):
    cli, run, _ = private
    cached = project_with(tmp_path, "cached", run, [SERVER, "six"])
    assert build(cli, cached)[0].returncode == 0
    missing = project_with(tmp_path, "missing", run, [SERVER, "six", "tomli-w==1.0.0"])
    result, log = build(cli, missing, env={"HTTPS_PROXY": UNREACHABLE_PROXY, "HTTP_PROXY": UNREACHABLE_PROXY})
    assert result.returncode == 4, log
    assert "image build failed at layer" in log and "(pip packages)" in log, log
    detail = log.split("--- output of the failing step ---")[1]
    assert "tomli-w" in detail and OFFLINE_NOTICE in detail, detail


def test_images_and_prune_see_and_remove_only_this_homes_superseded_images(private, tmp_path, docker_client):
    cli, run, home = private
    deployment = project_with(tmp_path, "pruned", run, [SERVER, "six"])
    result, log = build(cli, deployment)
    assert result.returncode == 0, log
    old = image_of(result)
    conda = deployment.parent / "environment" / "conda.yaml"
    conda.write_text(conda.read_text() + "# edited\n")
    result, log = build(cli, deployment)
    assert result.returncode == 0, log
    new = image_of(result)
    assert new != old and "unchanged, reused" in log, "a comment changes the image, not its layers"

    own = set(json.loads((home / "images.json").read_text())["images"])
    listed = {row["image"]: row for row in cli.json("images")}
    assert listed[new]["used_by"] == [str(deployment.resolve())] and listed[new]["last_used"]
    assert listed[old]["used_by"] == [] and listed[old]["recorded"]

    planned = cli.json("prune", "--dry-run")
    assert {row["image"] for row in planned["images"]} <= own, "only images this home built are candidates"
    assert old in {row["image"] for row in planned["images"]} and new not in {r["image"] for r in planned["images"]}
    assert docker_client.images.get(old), "a dry run removes nothing"

    everything = cli.json("prune", "--dry-run", "--keep", "0")
    assert {row["image"] for row in everything["images"]} <= own

    pruned = cli.json("prune")
    assert old in pruned["removed_tags"] and set(pruned["removed_tags"]) <= own | set(pruned["layers"])
    assert pruned["package_cache"]["size_after"] is not None
    remaining = {row["image"] for row in cli.json("images")}
    assert new in remaining and old not in remaining

    reminder = Cli(dict(cli.env, LOCALEP_IMAGES_WARN_SIZE="1"))
    conda.write_text(conda.read_text() + "# edited again\n")
    result = reminder.run("build", str(deployment), "--pull", "never", timeout=900)
    assert result.returncode == 0 and "`localep prune` removes them" in result.stderr.decode()


def test_installer_pip_is_an_option_and_part_of_the_image_key(private, tmp_path):
    cli, run, _ = private
    deployment = project_with(tmp_path, "pip", run, [SERVER])
    uv = build(cli, deployment)[0]
    pip, log = build(cli, deployment, "--installer", "pip")
    assert uv.returncode == 0 and pip.returncode == 0, log
    assert image_of(uv) != image_of(pip)
    assert "installing with pip" in log and "Successfully installed" in log, log
    assert "installing with uv" not in log and "Resolved" not in log, "pip's own words, not uv's"
