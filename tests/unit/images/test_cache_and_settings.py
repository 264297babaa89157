from __future__ import annotations

from pathlib import Path

from localep.images.cache import environment_key, image_tag
from localep.images.settings import CA_IN_IMAGE, settings_from_environment
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


def test_ca_bundle_comes_from_the_first_existing_variable(tmp_path: Path):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = settings_from_environment({"PIP_CERT": str(tmp_path / "missing.pem"), "REQUESTS_CA_BUNDLE": str(bundle),
                                          "PIP_INDEX_URL": "https://mirror.example/simple", "HOME": "/root"})
    assert settings.ca_bundle == bundle
    args = settings.build_args()
    assert args["PIP_CERT"] == args["SSL_CERT_FILE"] == args["CONDA_SSL_VERIFY"] == CA_IN_IMAGE
    assert args["PIP_INDEX_URL"] == "https://mirror.example/simple"
    assert "HOME" not in args


def test_no_ca_bundle_sends_no_cert_variables():
    settings = settings_from_environment({})
    assert settings.ca_bundle is None
    assert settings.build_args() == {}
