"""Dockerfile rendering for each environment kind, without Docker."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from localep.images import templates
from localep.images.kinds import byoc, conda, docker_context, needs_base_facts, pip_fallback, prebuilt, select_kind
from localep.images.kinds.base import BaseImageFacts
from localep.yamlspec.model import BuildContext, Environment, InferenceConfig, RequestSettings, Route

CONDA_FILE = """name: env
channels: [conda-forge]
dependencies:
  - python=3.9
  - numpy=1.26
  - mkl
  - pytorch=2.1
  - pip
  - pip:
      - azureml-inference-server-http
      - pandas==2.0.0
"""


@pytest.fixture
def conda_env(tmp_path: Path) -> Environment:
    path = tmp_path / "conda.yaml"
    path.write_text(CONDA_FILE)
    return Environment(image="base:1", conda_file=path)


NO_CONDA = BaseImageFacts(image="base:1", image_id="sha256:aaa", conda=None, python_version="3.11.2")
WITH_CONDA = BaseImageFacts(image="base:1", image_id="sha256:aaa", conda="/opt/conda/bin/mamba",
                            python_version="3.9.18")


def test_conda_base_creates_the_environment_with_conda(conda_env):
    assert select_kind(conda_env, WITH_CONDA) is conda
    recipe = conda.recipe(conda_env, WITH_CONDA)
    conda_layer, server_layer, pip_layer = recipe.layers
    assert conda_layer.conda == "/opt/conda/bin/mamba"
    assert yaml.safe_load(conda_layer.conda_file) == {
        "name": "env", "channels": ["conda-forge"],
        "dependencies": ["python=3.9", "numpy=1.26", "mkl", "pytorch=2.1", "pip"]}, "the pip section has its layers"
    assert server_layer.requirements == ("azureml-inference-server-http",)
    assert pip_layer.requirements == ("azureml-inference-server-http", "pandas==2.0.0")
    assert recipe.body == "", "localep puts the environment first on PATH when it commits the image"
    assert recipe.warnings == []


def test_base_without_conda_falls_back_to_pip_and_says_what_changed(conda_env):
    assert select_kind(conda_env, NO_CONDA) is pip_fallback
    recipe = pip_fallback.recipe(conda_env, NO_CONDA)
    server_layer, conda_layer, pip_layer = recipe.layers
    assert server_layer.create_venv and server_layer.requirements == ("azureml-inference-server-http",)
    assert conda_layer.requirements == ("azureml-inference-server-http", "numpy==1.26.*", "torch==2.1.*")
    assert pip_layer.requirements == ("numpy==1.26.*", "torch==2.1.*", "azureml-inference-server-http", "pandas==2.0.0")
    [warning] = recipe.warnings
    assert "numpy=1.26 -> numpy==1.26.*" in warning and "pytorch=2.1 -> torch==2.1.*" in warning
    assert "skipped (not on PyPI): mkl" in warning
    assert "python mismatch: the conda file asks for 3.9, the image has 3.11.2" in warning


def test_pip_fallback_without_mismatch_does_not_warn_about_python(conda_env):
    same = BaseImageFacts(image="base:1", image_id="x", conda=None, python_version="3.9.2")
    assert "python mismatch" not in pip_fallback.recipe(conda_env, same).warnings[0]


def test_docker_context_builds_the_users_context_first(tmp_path):
    env = Environment(build=BuildContext(path=tmp_path, dockerfile_path="docker/Dockerfile"))
    assert select_kind(env, None) is docker_context
    assert docker_context.user_context(env) == env.build
    assert docker_context.recipe(env, NO_CONDA).body == ""
    assert docker_context.server(env).localep_layer
    assert not needs_base_facts(env)


def test_byoc_runs_the_image_as_is_with_its_routes():
    config = InferenceConfig(liveness_route=Route(8080, "/health"), readiness_route=Route(8080, "/ready"),
                             scoring_route=Route(8080, "/predict"))
    env = Environment(image="mine:1", inference_config=config)
    assert select_kind(env, None) is byoc
    assert byoc.recipe(env, NO_CONDA) is None
    server = byoc.server(env)
    assert (server.localep_layer, server.port, server.scoring_path, server.liveness_path, server.readiness_path) == (
        False, 8080, "/predict", "/health", "/ready")


def test_what_runs_around_a_server_is_the_kinds_answer():
    """Reload, debugpy, the agent and the request-settings variables come from the spec, never from the kind's name."""
    settings = RequestSettings(request_timeout_ms=3000, max_concurrent_requests_per_instance=4)
    own = byoc.server(Environment(image="mine:1", inference_config=InferenceConfig(
        liveness_route=Route(8080, "/"), readiness_route=Route(8080, "/"), scoring_route=Route(8080, "/score"))))
    assert (own.localep_layer, own.reload_signal, own.request_variables(settings)) == (False, None, {})
    assert own.argv({}, ["-m", "debugpy"]) == []
    inference = prebuilt.server(Environment(image="python:3.11"))
    assert (inference.localep_layer, inference.reload_signal) == (True, "SIGHUP")
    assert inference.request_variables(settings) == {"SCORING_TIMEOUT_MS": "3000", "WORKER_COUNT": "4"}
    env = {"AML_APP_ROOT": "/var/azureml-app/src", "AZUREML_ENTRY_SCRIPT": "score.py"}
    assert inference.argv(env, ["-m", "debugpy"]) == [
        "/opt/localep/python", "-m", "debugpy", "-m", "azureml_inference_server_http", "--port", "5001",
        "--entry_script", "/var/azureml-app/src/score.py"]


def test_plain_image_gets_only_the_server_layer():
    env = Environment(image="python:3.11")
    assert select_kind(env, None) is prebuilt
    assert prebuilt.recipe(env, NO_CONDA).body == ""


def test_generated_dockerfile_declares_proxy_args_and_copies_localep_files():
    dockerfile = templates.dockerfile("base:1", "ENV PATH=/azureml-envs/localep/bin:$PATH\n",
                                      templates.render("server.Dockerfile"))
    lines = dockerfile.splitlines()
    assert lines[2] == "FROM base:1"
    [args] = [line.split()[1:] for line in lines if line.startswith("ARG ")]
    for arg in ("PIP_CERT", "PIP_INDEX_URL", "HTTPS_PROXY", "CONDA_SSL_VERIFY"):
        assert arg in args
    assert "COPY localep/ /tmp/localep/" in lines
    assert "ENV PATH=/azureml-envs/localep/bin:$PATH" in lines
    assert 'echo "LOCALEP_SERVER_ADDED"' in dockerfile
    assert dockerfile.index("ENV PATH") < dockerfile.index("LOCALEP_SERVER_ADDED"), "server layer comes last"
    assert "$$" not in dockerfile
