"""The image key: the environment's content and the base image, nothing else."""

from __future__ import annotations

from pathlib import Path

from localep.images.cache import environment_key, image_tag
from localep.yamlspec.model import BuildContext, Environment


def test_key_depends_on_environment_content_and_base_image_only(tmp_path: Path):
    conda = tmp_path / "conda.yaml"
    conda.write_text("dependencies: [numpy]\n")
    env = Environment(image="base:1", conda_file=conda, name="a", version="1")
    key = environment_key(env, "sha256:1")
    assert environment_key(Environment(image="base:1", conda_file=conda, name="b", version="9"), "sha256:1") == key
    assert environment_key(env, "sha256:2") != key, "a new base image must rebuild"
    conda.write_text("dependencies: [numpy, pandas]\n")
    assert environment_key(env, "sha256:1") != key
    assert image_tag(key).startswith("localep/env:") and len(image_tag(key).split(":")[1]) == 20


def test_build_context_key_follows_its_files(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n")
    env = Environment(build=BuildContext(path=tmp_path))
    key = environment_key(env, None)
    (tmp_path / ".git" / "HEAD").write_text("other\n")
    assert environment_key(env, None) == key, ".git does not count"
    (tmp_path / "requirements.txt").write_text("numpy\n")
    assert environment_key(env, None) != key

