"""Triton no-code deployments (issue 10) against a real Triton Inference Server serving a python-backend model."""

from __future__ import annotations

import json
import struct
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.docker

INFER_JSON = {"inputs": [{"name": "INPUT0", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}


def deployment_yaml(endpoint: str, repository: Path) -> str:
    return textwrap.dedent(f"""\
        $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
        name: triton
        endpoint_name: {endpoint}
        model:
          name: add-one
          version: 1
          path: {repository}
          type: triton_model
        instance_type: Standard_NC4as_T4_v3
        instance_count: 1
        """)


def binary_request() -> tuple:
    """Triton's binary tensor extension: a JSON header, then the raw little-endian FP32 bytes."""
    header = json.dumps({
        "inputs": [{"name": "INPUT0", "shape": [1, 3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}}],
    }).encode()
    body = header + struct.pack("<3f", 1.5, -2.0, 40.25)
    headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}
    return body, headers


def binary_outputs(response: requests.Response) -> list:
    length = int(response.headers["Inference-Header-Content-Length"])
    header = json.loads(response.content[:length])
    assert header["outputs"][0]["parameters"]["binary_data_size"] == 12
    return list(struct.unpack("<3f", response.content[length:]))


@pytest.fixture(scope="module")
def triton_endpoint(cli, triton_image, triton_repository, tmp_path_factory):
    folder = tmp_path_factory.mktemp("triton-endpoint")
    name = f"t-triton-{uuid.uuid4().hex[:6]}"
    deployment = folder / "triton.yml"
    deployment.write_text(deployment_yaml(name, triton_repository))
    result = cli.run("up", str(deployment), "--detach", "--json", "--triton-image", triton_image)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    session = cli.keyed_session(name)
    yield summary, session, result.stderr.decode()
    cli.run("down", name)


def test_the_container_runs_tritonserver_on_the_mounted_repository(triton_endpoint, docker_client):
    summary, _, stderr = triton_endpoint
    container = docker_client.containers.get(summary["deployments"][0]["container"])
    direct = f"http://{container.attrs['NetworkSettings']['IPAddress']}:8000"
    assert requests.get(f"{direct}/v2/health/ready", timeout=10).status_code == 200
    server = requests.get(f"{direct}/v2", timeout=10).json()
    assert server["name"] == "triton"
    answer = requests.post(f"{direct}/v2/models/add_one/infer", json=INFER_JSON, timeout=30)
    assert answer.json()["outputs"][0]["data"] == [2.0, 3.0, 4.0]
    assert "asks for a GPU (instance_type Standard_NC4as_T4_v3)" in stderr and "running on the CPU" in stderr


def test_health_metadata_and_infer_through_the_endpoint(triton_endpoint):
    summary, session, _ = triton_endpoint
    root = summary["scoring_uri"].rsplit("/score", 1)[0]
    assert session.get(f"{root}/v2/health/ready", timeout=10).status_code == 200
    assert session.get(f"{root}/v2/models/add_one/versions/1/ready", timeout=10).status_code == 200
    metadata = session.get(f"{root}/v2/models/add_one", timeout=10).json()
    assert metadata["inputs"] == [{"name": "INPUT0", "datatype": "FP32", "shape": [-1, -1]}]
    answer = session.post(f"{root}/v2/models/add_one/infer", json=INFER_JSON, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["data"] == [2.0, 3.0, 4.0]
    assert requests.get(f"{root}/v2/health/ready", timeout=10).status_code == 401


def test_the_kserve_routes_also_answer_under_score_as_tritonclient_sends_them(triton_endpoint):
    summary, session, _ = triton_endpoint
    scoring_uri = summary["scoring_uri"]
    assert session.get(f"{scoring_uri}/v2/health/ready", timeout=10).status_code == 200
    assert session.get(f"{scoring_uri}/v2/models/add_one", timeout=10).json()["name"] == "add_one"
    answer = session.post(f"{scoring_uri}/v2/models/add_one/versions/1/infer", json=INFER_JSON, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["data"] == [2.0, 3.0, 4.0]


def test_tritons_own_errors_arrive_as_the_clouds_424_with_its_status_and_body(triton_endpoint):
    summary, session, _ = triton_endpoint
    root = summary["scoring_uri"].rsplit("/score", 1)[0]
    bad = {"inputs": [{"name": "BAD", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}
    answer = session.post(f"{root}/v2/models/add_one/infer", json=bad, timeout=30)
    assert answer.status_code == 424, answer.text
    assert answer.headers["ms-azureml-model-error-statuscode"] == "400"
    assert answer.json() == {"error": "unexpected inference input 'BAD' for model 'add_one'"}


@pytest.mark.parametrize("prefix", ["", "/score"])
def test_a_binary_extension_request_passes_through_intact(triton_endpoint, prefix):
    summary, session, _ = triton_endpoint
    root = summary["scoring_uri"].rsplit("/score", 1)[0] + prefix
    body, headers = binary_request()
    answer = session.post(f"{root}/v2/models/add_one/infer", data=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.content[:300]
    assert binary_outputs(answer) == [2.5, -1.0, 41.25]


def test_a_missing_triton_image_says_how_to_provide_one(cli, triton_repository, tmp_path):
    deployment = tmp_path / "triton.yml"
    deployment.write_text(deployment_yaml(f"t-notriton-{uuid.uuid4().hex[:6]}", triton_repository))
    env = dict(cli.env, LOCALEP_TRITON_IMAGE="localep-test/no-such-tritonserver:0")
    result = subprocess.run(cli.argv("up", str(deployment), "--detach", "--pull", "never"), capture_output=True,
                            env=env, timeout=120)
    stderr = result.stderr.decode()
    assert result.returncode == 4, stderr  # ExitCode.BUILD
    assert "the Triton image localep-test/no-such-tritonserver:0 is not on this machine and cannot be pulled" in stderr
    assert "--triton-image" in stderr and "docker load" in stderr
