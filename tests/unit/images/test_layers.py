"""Layer planning, install scripts and keys, without Docker."""

from __future__ import annotations

import subprocess

from localep.images import templates
from localep.images.cache import environment_key
from localep.images.kinds.base import ENVIRONMENT_PYTHON, PackageLayer
from localep.images.kinds.layering import normalized_name, server_first
from localep.images.layerbuild import DEFAULT_PATH, with_environment_path
from localep.images.layers import (
    NETWORK_ERRORS,
    UV_VERSION,
    build_environment,
    install_script,
    layer_files,
    plan_layers,
)
from localep.runtime.deploy import build_workers
from localep.yamlspec.model import Environment

SERVER = "azureml-inference-server-http"


def test_the_server_gets_its_own_layer_under_the_rest_of_the_pip_list():
    layers = server_first([SERVER, "six", "pandas==2.0.0"], ENVIRONMENT_PYTHON, create_venv=True)
    assert [layer.name for layer in layers] == ["inference server", "pip packages"]
    assert layers[0].create_venv and layers[0].requirements == (SERVER,)
    assert layers[1].requirements == (SERVER, "six", "pandas==2.0.0"), "the last layer resolves the whole list"


def test_conda_section_packages_sit_between_the_server_and_the_pip_list():
    layers = server_first(["numpy==1.26.*", SERVER, "six"], ENVIRONMENT_PYTHON, create_venv=True,
                          from_conda=["numpy==1.26.*"])
    assert [layer.name for layer in layers] == ["inference server", "conda section from PyPI", "pip packages"]
    only_conda_and_server = server_first(["numpy==1.26.*", SERVER], ENVIRONMENT_PYTHON, create_venv=True,
                                         from_conda=["numpy==1.26.*"])
    assert [layer.name for layer in only_conda_and_server] == ["inference server", "conda section from PyPI"]


def test_without_the_server_the_first_layer_is_just_the_environment():
    layers = server_first(["six"], ENVIRONMENT_PYTHON, create_venv=True)
    assert [(layer.name, layer.requirements) for layer in layers] == [("environment", ()), ("pip packages", ("six",))]


def test_conda_environments_create_the_conda_part_first():
    layers = server_first([SERVER], ENVIRONMENT_PYTHON, conda="/opt/conda/bin/conda", conda_file=b"name: x\n")
    assert [layer.name for layer in layers] == ["conda packages", "inference server"]
    script = install_script(layers[0], "uv")
    assert "/opt/conda/bin/conda env create --quiet -p /azureml-envs/localep -f /tmp/localep/conda.yml" in script
    assert "CONDA_PKGS_DIRS=$C/conda/pkgs" in script
    assert layer_files(layers[0]) == {"conda.yml": b"name: x\n"}


def test_server_package_names_are_normalized():
    assert normalized_name("Azureml_Inference.Server-HTTP[extra]==1.5") == SERVER
    assert normalized_name("azureml-defaults>=1") == "azureml-defaults"


def test_uv_scripts_use_the_cache_volume_fall_back_offline_and_clean_up():
    layer = PackageLayer(name="pip packages", requirements=("six",))
    script = install_script(layer, "uv")
    assert f"uv=={UV_VERSION}" in script and "UV_CACHE_DIR=$C/uv" in script
    assert "uv_or_cache pip install --compile-bytecode --python /azureml-envs/localep/bin/python" in script
    assert "UV_OFFLINE=1" in script
    assert 'else /azureml-envs/localep/bin/python -m pip install -r /tmp/localep/requirements.txt; fi' in script, \
        "pip takes over where uv cannot be had"
    assert script.rstrip().endswith("rm -rf /tmp/localep"), "nothing of the build stays in the image"
    assert "--no-cache-dir" not in script


def test_pip_scripts_keep_pips_cache_in_the_volume():
    layer = PackageLayer(name="inference server", requirements=(SERVER,), create_venv=True)
    script = install_script(layer, "pip")
    assert '"$HOST_PY" -m venv /azureml-envs/localep' in script
    assert "/azureml-envs/localep/bin/python -m pip install -r /tmp/localep/requirements.txt" in script
    assert "PIP_CACHE_DIR=$C/pip" in script and "uv" not in script.replace("UV_", "")


def test_scripts_are_valid_shell():
    for installer in ("uv", "pip"):
        layer = PackageLayer(name="x", requirements=("six",), create_venv=True)
        subprocess.run(["sh", "-n", "-c", install_script(layer, installer)], check=True)


def test_layer_keys_chain_and_cover_installer_and_contents():
    layers = server_first([SERVER, "six"], ENVIRONMENT_PYTHON, create_venv=True)
    uv = plan_layers(layers, "sha256:base", "uv")
    assert [p.tag.split(":")[0] for p in uv] == ["localep/env-layer"] * 2
    assert plan_layers(layers, "sha256:base", "uv") == uv, "same inputs, same keys"
    assert plan_layers(layers, "sha256:other", "uv")[0].key != uv[0].key, "a new base image rebuilds everything"
    assert plan_layers(layers, "sha256:base", "pip")[0].key != uv[0].key, "the installer is part of the key"
    edited = plan_layers(server_first([SERVER, "six", "idna"], ENVIRONMENT_PYTHON, create_venv=True),
                         "sha256:base", "uv")
    assert edited[0].key == uv[0].key, "an edit of the pip list keeps the server layer"
    assert edited[1].key != uv[1].key


def test_environment_key_covers_the_installer_only_for_conda_files(tmp_path):
    conda = tmp_path / "conda.yml"
    conda.write_text("dependencies: [python=3.11]\n")
    env = Environment(image="base:1", conda_file=conda)
    assert environment_key(env, "sha256:1", "uv") != environment_key(env, "sha256:1", "pip")
    prebuilt = Environment(image="base:1")
    assert environment_key(prebuilt, "sha256:1", "uv") == environment_key(prebuilt, "sha256:1", "pip")


def test_build_environment_quotes_values_and_speaks_uvs_names():
    text = build_environment({"PIP_INDEX_URL": "https://mirror/simple", "HTTPS_PROXY": "http://p:3128/a b"})
    assert "export UV_INDEX_URL=https://mirror/simple\n" in text
    assert "export HTTPS_PROXY='http://p:3128/a b'\n" in text
    assert "UV_OFFLINE" not in text
    assert "export UV_OFFLINE=1\n" in build_environment({}, offline=True)


def test_network_errors_match_what_uv_says_when_the_index_is_unreachable():
    uv_said = ["error: Failed to fetch: https://pypi.org/simple/six/\n  cause: dns error",
               "  cause: tcp connect error\n  cause: Connection refused (os error 111)",
               "  cause: tunnel error: failed to create underlying connection"]
    for text in uv_said:
        assert subprocess.run(["grep", "-qiE", NETWORK_ERRORS], input=text.encode()).returncode == 0, text
    not_found = "No solution found when resolving dependencies: Because nosuchpkg was not found in the package registry"
    assert subprocess.run(["grep", "-qiE", NETWORK_ERRORS], input=not_found.encode()).returncode == 1


def test_the_environment_goes_first_on_path():
    assert with_environment_path([]) == [f"PATH=/azureml-envs/localep/bin:{DEFAULT_PATH}"]
    assert with_environment_path(["A=1", "PATH=/opt/bin"]) == ["PATH=/azureml-envs/localep/bin:/opt/bin", "A=1"]


def test_the_server_step_runs_as_a_script():
    script = templates.run_script("server.Dockerfile")
    assert not script.startswith("RUN") and "LOCALEP_SERVER_ADDED" in script and "$$" not in script
    subprocess.run(["sh", "-n", "-c", script], check=True)


def test_one_build_per_two_cores():
    assert build_workers(deployments=3, cores=2) == 1
    assert build_workers(deployments=3, cores=4) == 2
    assert build_workers(deployments=1, cores=16) == 1
    assert build_workers(deployments=5, cores=1) == 1


def test_parallel_builds_prefix_their_progress_with_the_deployment():
    import io

    from localep.progress import Reporter

    stream = io.StringIO()
    reporter = Reporter(stream=stream)
    reporter.prefixed("blue").detail("layer 1/2")
    reporter.prefixed("green").step("building")
    assert stream.getvalue().splitlines() == ["    blue | layer 1/2", "==> green | building"]
