"""End-to-end fixtures: a real Docker engine, real images (built once per session), the real inference server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "numpy-regression"
EXAMPLE_BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
TEST_BASE_IMAGE = "localep-test/debian-python:bookworm"
BATCH_FIXTURE = REPO / "tests" / "fixtures" / "batch"


def _docker_or_fail():
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except Exception as error:  # any failure to reach the engine means "no Docker here"
        if os.environ.get("LOCALEP_REQUIRE_DOCKER") == "1":
            pytest.fail(f"LOCALEP_REQUIRE_DOCKER=1 but no Docker engine answers: {error}")
        pytest.skip(f"no Docker engine: {error}")


@pytest.fixture(scope="session")
def docker_client():
    return _docker_or_fail()


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    """The offline base image, also tagged with the name the example expects (no registry here)."""
    subprocess.run(["bash", str(REPO / ".ci" / "base-image"), EXAMPLE_BASE_IMAGE], check=True)
    return TEST_BASE_IMAGE


@pytest.fixture(scope="session")
def localep_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("localep-home")


@pytest.fixture(scope="session")
def cli_env(localep_home) -> Dict[str, str]:
    env = dict(os.environ)
    env["LOCALEP_HOME"] = str(localep_home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Cli:
    """Runs the real `localep` CLI in a child process, as a user's shell would."""

    def __init__(self, env: Dict[str, str]):
        self.env = env

    def argv(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "localep", *args]

    def run(self, *args: str, input: bytes = b"", timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), input=input, capture_output=True, env=self.env, timeout=timeout)

    def json(self, *args: str) -> object:
        result = self.run(*args, "--json")
        assert result.returncode == 0, result.stderr.decode()
        return json.loads(result.stdout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)

    def keyed_session(self, endpoint: str) -> requests.Session:
        """An HTTP session that sends the endpoint's primary key, as a cloud client would."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.json('keys', endpoint)['primary']}"
        return session


@pytest.fixture(scope="session")
def cli(cli_env) -> Cli:
    return Cli(cli_env)


def rename_endpoint(folder: Path, old: str, new: str) -> None:
    for yml in folder.glob("*.yml"):
        text = yml.read_text().replace(f"name: {old}\n", f"name: {new}\n")
        yml.write_text(text.replace(f"endpoint_name: {old}\n", f"endpoint_name: {new}\n"))


@pytest.fixture(scope="session")
def example_image(cli, base_image) -> str:
    """Build the example's environment once for the whole session."""
    built = cli.json("build", str(EXAMPLE / "blue-deployment.yml"))
    return built[0]["image"]


def gateway_of(localep_home: Path, name: str):
    state = localep_home / "endpoints" / name / "state.json"
    return json.loads(state.read_text()).get("gateway") if state.exists() else None


@pytest.fixture
def project(tmp_path, example_image, docker_client, cli, localep_home) -> Path:
    """A private copy of the example with a unique endpoint name; afterwards nothing of it may remain running."""
    target = tmp_path / "project"
    shutil.copytree(EXAMPLE, target)
    name = f"t-{uuid.uuid4().hex[:8]}"
    rename_endpoint(target, "numpy-regression", name)
    (target / "name").write_text(name)
    yield target
    leftovers = [c.name for c in docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})]
    gateway = gateway_of(localep_home, name)
    if leftovers or gateway:
        cli.run("down", name)
    assert not leftovers, f"containers left behind: {leftovers}"
    assert not gateway, f"gateway left running: {gateway}"


WEIGHTS = json.loads((BATCH_FIXTURE / "model" / "linear" / "weights.json").read_text())


def direct_prediction(path: Path) -> float:
    features = [float(value) for value in path.read_text().strip().split(",")]
    return round(sum(w * x for w, x in zip(WEIGHTS["w"], features)) + WEIGHTS["b"], 6)


def read_rows(predictions: Path, separator: str = " ") -> List[Tuple[str, float, str]]:
    rows = []
    for line in predictions.read_text().splitlines():
        file_name, prediction, worker = line.split(separator)
        rows.append((file_name, float(prediction), worker))
    return rows


def write_inputs(folder: Path, count: int, prefix: str = "f") -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = folder / f"{prefix}{index:03d}.csv"
        path.write_text(f"{index * 0.5 - 3},{(index % 7) - 2.25},{index / 10}\n")
        files.append(path)
    return files


def batch_containers(docker_client, endpoint: str) -> List[str]:
    found = docker_client.containers.list(all=True, filters={"label": [f"localep.endpoint={endpoint}",
                                                                         "localep.batch-job"]})
    return [container.name for container in found]


@pytest.fixture(scope="session")
def batch_warm(cli, base_image, tmp_path_factory) -> None:
    """Build the batch test environment once (a one-file job), so every test below starts from a cached image."""
    folder = tmp_path_factory.mktemp("batch-warm")
    write_inputs(folder / "data", 1)
    result = cli.run("batch", "run", str(BATCH_FIXTURE / "deployment.yml"), "--input", str(folder / "data"),
                     "--output", str(folder / "out"), timeout=900)
    assert result.returncode == 0, result.stderr.decode()


@pytest.fixture
def batch_project(tmp_path, batch_warm, docker_client) -> Path:
    """A private copy of the batch fixture under a unique endpoint name; no container of it may remain."""
    target = tmp_path / "batch"
    shutil.copytree(BATCH_FIXTURE, target)
    name = f"bt-{uuid.uuid4().hex[:8]}"
    for yml in target.glob("*.yml"):
        text = yml.read_text().replace("endpoint_name: batch-test\n", f"endpoint_name: {name}\n")
        yml.write_text(text.replace("name: batch-test\n", f"name: {name}\n"))
    (target / "name").write_text(name)
    yield target
    leftovers = batch_containers(docker_client, name)
    for container in leftovers:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    assert not leftovers, f"containers left behind: {leftovers}"


TRITON_IMAGE = "localep-test/tritonserver:pytriton-0.7.0"
ADD_ONE_CONFIG = """name: "add_one"
backend: "python"
max_batch_size: 0
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1, -1 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1, -1 ] } ]
"""
ADD_ONE_MODEL = '''import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            data = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            output = pb_utils.Tensor("OUTPUT0", (data + 1).astype(np.float32))
            responses.append(pb_utils.InferenceResponse(output_tensors=[output]))
        return responses
'''


@pytest.fixture(scope="session")
def triton_image(base_image) -> str:
    """A real Triton server (2.51, from PyPI's nvidia-pytriton) in a local image: no registry serves NVIDIA's."""
    subprocess.run(["bash", str(REPO / ".ci" / "triton-image"), TRITON_IMAGE], check=True)
    return TRITON_IMAGE


@pytest.fixture(scope="session")
def triton_repository(tmp_path_factory) -> Path:
    """A Triton model repository with one python-backend model, add_one (OUTPUT0 = INPUT0 + 1)."""
    repository = tmp_path_factory.mktemp("triton") / "models"
    version = repository / "add_one" / "1"
    version.mkdir(parents=True)
    (repository / "add_one" / "config.pbtxt").write_text(ADD_ONE_CONFIG)
    (version / "model.py").write_text(ADD_ONE_MODEL)
    return repository
