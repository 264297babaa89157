"""`localep package` (issue 23): the packaged image of the example, of an MLflow no-code deployment and of the Triton
fixture runs under a plain `docker run` (no localep process, nothing mounted) and answers as the local endpoint's
deployment does; it carries no key and no path of this machine; an edit to score.py changes its hash."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
from test_environment_kinds import byoc_image, replace_environment  # noqa: F401 (fixture)
from test_no_code import deployment_yaml, mlflow_image, mlflow_models  # noqa: F401 (fixtures)
from test_triton import INFER_JSON
from test_triton import deployment_yaml as triton_yaml

from conftest import direct_prediction, read_rows, write_inputs

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]


def docker(*args: str) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@contextlib.contextmanager
def served(image: str, port: int, ready_path: str) -> Iterator[str]:
    """`docker run` of the image alone (published on 127.0.0.1 only, unique name), removed afterwards."""
    name = f"localep-pkgtest-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1::{port}", image)
    try:
        host_port = docker("port", name, f"{port}/tcp").splitlines()[0].rsplit(":", 1)[1]
        base = f"http://127.0.0.1:{host_port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # GET / blocks while init() runs
                pass
            assert time.monotonic() < deadline, docker("logs", name)
            time.sleep(0.3)
        assert json.loads(docker("inspect", name))[0]["Mounts"] == []
        yield base
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@contextlib.contextmanager
def package(cli, deployment: Path, *extra: str) -> Iterator[Dict[str, object]]:
    name = f"localep-test/pkg-{uuid.uuid4().hex[:8]}:1"
    result = cli.run("package", str(deployment), "-t", name, "--json", *extra, timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    try:
        yield json.loads(result.stdout)
    finally:
        subprocess.run(["docker", "rmi", "-f", name], capture_output=True)


@contextlib.contextmanager
def local_endpoint(cli, *args: str) -> Iterator[Dict[str, object]]:
    result = cli.run("up", *args, "--detach", "--json", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    try:
        yield summary
    finally:
        cli.run("down", summary["endpoint"])


def direct_of(cli: Any, summary: Dict[str, Any], port: int) -> Tuple[str, Dict[str, str]]:
    """The local deployment's container on its own address (nothing is published) and the endpoint's secret it
    wants on every request."""
    container = summary["deployments"][0]["container"]
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container).strip()
    secret = (Path(cli.env["LOCALEP_HOME"]) / "endpoints" / str(summary["endpoint"]) / "upstream.secret").read_text()
    return f"http://{address}:{port}", {"X-Localep-Upstream-Secret": secret.strip()}


def answers(base: str, requests_to_send: List[Tuple[str, str, dict]],
            credential: Optional[Dict[str, str]] = None) -> List[Tuple[int, bytes]]:
    out = []
    for method, path, kwargs in requests_to_send:
        headers = {**kwargs.get("headers", {}), **(credential or {})}
        response = requests.request(method, base + path, timeout=30, **{**kwargs, "headers": headers})
        out.append((response.status_code, response.content))
    return out


def assert_nothing_of_this_machine(image: str, secrets: List[str]) -> None:
    """Variables, labels, command and every history step are free of keys and of paths of this machine."""
    inspected = json.loads(docker("image", "inspect", image))[0]["Config"]
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    text = json.dumps([inspected.get("Env"), inspected.get("Labels"), inspected.get("Cmd")]) + history
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the image's metadata"


def test_the_example_package_answers_like_the_local_deployment(cli, project, localep_home):
    name = (project / "name").read_text()
    deployment = project / "blue-deployment.yml"
    sample = json.loads((project / "sample-request.json").read_text())
    to_send = [("POST", "/score", {"json": sample}), ("POST", "/score", {"data": b"not json"}),
               ("GET", "/swagger.json", {}), ("GET", "/", {})]
    with local_endpoint(cli, str(deployment)) as summary, package(cli, deployment) as packaged:
        assert packaged["environment_cached"] is True and packaged["port"] == 5001
        direct, credential = direct_of(cli, summary, 5001)
        with served(packaged["image"], 5001, "/") as base:
            ours = answers(base, to_send)
            assert ours == answers(direct, to_send, credential)
        assert ours[0][0] == 200 and json.loads(ours[0][1]) == pytest.approx([58.0, 41.75])
        assert ours[1][0] == 500
        keys = cli.json("keys", name)
        labels = json.loads(docker("image", "inspect", packaged["image"]))[0]["Config"]["Labels"]
        assert labels["localep.package.content-hash"] == packaged["content_hash"]
        assert labels["localep.package.source"] == "blue-deployment.yml" and labels["localep.version"]
        assert_nothing_of_this_machine(packaged["image"], [keys["primary"], keys["secondary"], str(project),
                                                           str(localep_home), str(REPO), str(Path.home())])


def test_an_edit_to_score_py_changes_the_hash_and_nothing_else_does(cli, project):
    deployment = project / "blue-deployment.yml"
    with package(cli, deployment) as first, package(cli, deployment) as again:
        assert first["content_hash"] == again["content_hash"]
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text() + "\n# an edit\n")
    with package(cli, deployment) as edited:
        assert edited["content_hash"] != first["content_hash"]
        again = cli.run("package", str(deployment), "-t", edited["image"], "--json")
        assert again.returncode == 0, again.stderr.decode()
        assert json.loads(again.stdout)["image_id"] == edited["image_id"] and edited["reused"] is False
        assert json.loads(again.stdout)["reused"] is True


def test_push_says_clearly_when_there_is_no_registry(cli, project):
    deployment = project / "blue-deployment.yml"
    plain = f"localep-test/pkg-{uuid.uuid4().hex[:8]}:1"
    result = cli.run("package", str(deployment), "-t", plain, "--push")
    subprocess.run(["docker", "rmi", "-f", plain], capture_output=True)
    assert result.returncode == 1
    assert "names no registry" in result.stderr.decode()
    with socket.socket() as probe:  # a loopback port nothing listens on: no registry answers there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = f"127.0.0.1:{port}/localep-test/pkg-{uuid.uuid4().hex[:8]}:1"
    result = cli.run("package", str(deployment), "-t", unreachable, "--push", timeout=300)
    subprocess.run(["docker", "rmi", "-f", unreachable], capture_output=True)
    assert result.returncode == 1
    assert f"cannot push {unreachable} to 127.0.0.1:{port}" in result.stderr.decode()


def test_package_help_has_an_example(cli):
    result = cli.run("package", "--help")
    assert result.returncode == 0 and b"localep package examples/" in result.stdout


def test_an_mlflow_no_code_package_answers_like_the_local_deployment(cli, mlflow_models, mlflow_image, tmp_path):  # noqa: F811
    endpoint = f"t-pkgml-{uuid.uuid4().hex[:6]}"
    deployment = tmp_path / "columns.yml"
    deployment.write_text(deployment_yaml("columns", endpoint, str(mlflow_models["root"] / "columns")))
    frame = mlflow_models["frame"]
    split = {"columns": list(frame.columns), "index": list(range(len(frame))), "data": frame.to_numpy().tolist()}
    to_send = [("POST", "/score", {"json": {"input_data": split}}), ("POST", "/score", {"json": {"data": [[1, 2]]}}),
               ("POST", "/score", {"data": b'{"input_data": []}', "headers": {"Content-Type": "text/plain"}}),
               ("GET", "/swagger.json", {})]
    with local_endpoint(cli, str(deployment)) as summary, package(cli, deployment) as packaged:
        direct, credential = direct_of(cli, summary, 5001)
        with served(packaged["image"], 5001, "/") as base:
            ours = answers(base, to_send)
            assert ours == answers(direct, to_send, credential)
    assert [status for status, _ in ours] == [200, 400, 415, 200]
    assert json.loads(ours[0][1]) == pytest.approx(mlflow_models["columns"].predict(frame).tolist())


def test_the_triton_package_answers_like_the_local_deployment(cli, triton_image, triton_repository, tmp_path):
    endpoint = f"t-pkgtr-{uuid.uuid4().hex[:6]}"
    repository = tmp_path / "models"
    shutil.copytree(triton_repository, repository)
    deployment = tmp_path / "triton.yml"
    deployment.write_text(triton_yaml(endpoint, repository))
    bad = {"inputs": [{"name": "BAD", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}
    to_send = [("GET", "/v2/health/ready", {}), ("GET", "/v2/models/add_one", {}),
               ("POST", "/v2/models/add_one/infer", {"json": INFER_JSON}),
               ("POST", "/v2/models/add_one/infer", {"json": bad})]
    with local_endpoint(cli, str(deployment), "--triton-image", triton_image) as summary, \
            package(cli, deployment, "--triton-image", triton_image) as packaged:
        assert packaged["port"] == 8000
        direct, credential = direct_of(cli, summary, 8000)
        with served(packaged["image"], 8000, "/v2/health/ready") as base:
            ours = answers(base, to_send)
            assert ours == answers(direct, to_send, credential)
        assert_nothing_of_this_machine(packaged["image"], [str(tmp_path), str(triton_repository)])
    assert [status for status, _ in ours] == [200, 200, 200, 400]
    assert json.loads(ours[2][1])["outputs"][0]["data"] == [2.0, 3.0, 4.0]


def test_export_packages_each_deployment_and_names_its_image_by_hash(cli, project, tmp_path):
    name = (project / "name").read_text()
    prefix = f"localep-test/x{uuid.uuid4().hex[:6]}-"
    result = cli.run("export", "kubernetes", str(project), "--image-prefix", prefix, "-o", str(tmp_path / "k8s"),
                     "--json", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    image = json.loads(result.stdout)["images"]["blue"]
    try:
        labels = json.loads(docker("image", "inspect", image))[0]["Config"]["Labels"]
        assert image == f"{prefix}{name}-blue:{labels['localep.package.content-hash'][:12]}"
        manifest = (tmp_path / "k8s" / f"deployment-{name}-blue.yaml").read_text()
        assert f"image: {image}\n" in manifest
    finally:
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def test_the_batch_package_runs_as_the_indexed_jobs_pods_over_one_volume(cli, batch_project, tmp_path):
    """Two pods (completion indexes 0 and 1) of two workers each, run at once with plain `docker run` on one folder
    as the shared volume: every input is scored once and the predictions file holds all rows."""
    deployment = batch_project / "deployment.yml"
    text = deployment.read_text().replace("instance_count: 1\n", "instance_count: 2\n")
    deployment.write_text(text.replace("max_concurrency_per_instance: 1\n", "max_concurrency_per_instance: 2\n"))
    volume = tmp_path / "volume"
    files = write_inputs(volume / "inputs" / "data", 23)
    prefix = f"localep-test/b{uuid.uuid4().hex[:6]}-"
    result = cli.run("export", "kubernetes", str(deployment), "--image-prefix", prefix, "-o", str(tmp_path / "k8s"),
                     "--json", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    image = json.loads(result.stdout)["images"]["linear"]
    names = [f"localep-pkgtest-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        pods = [subprocess.Popen(["docker", "run", "--name", name, "-e", f"JOB_COMPLETION_INDEX={index}",
                                  "-v", f"{volume}:/mnt/batch", image], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for index, name in enumerate(names)]
        outputs = [pod.communicate(timeout=300)[0].decode() for pod in pods]
        assert [pod.returncode for pod in pods] == [0, 0], outputs
    finally:
        subprocess.run(["docker", "rm", "-f", *names], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
    rows = read_rows(volume / "outputs" / "score" / "predictions.csv")
    assert sorted(row[0] for row in rows) == sorted(path.name for path in files)
    expected = {path.name: direct_prediction(path) for path in files}
    assert all(prediction == pytest.approx(expected[name]) for name, prediction, _ in rows)
    result_file = json.loads((volume / "outputs" / "score" / "logs" / "job_result.txt").read_text())
    assert result_file == {"items": 23, "succeeded": 23, "failed": 0, "status": "Completed"}
    stdout_logs = volume / "outputs" / "score" / "logs" / "user" / "stdout"
    assert sorted(p.name for p in stdout_logs.iterdir()) == ["instance-1", "instance-2"]


def test_a_byoc_package_gets_code_and_model_and_keeps_its_own_server(cli, project, byoc_image):  # noqa: F811
    deployment = project / "blue-deployment.yml"
    replace_environment(deployment, f"""environment:
  image: {byoc_image}
  inference_config:
    liveness_route: {{port: 8080, path: /health}}
    readiness_route: {{port: 8080, path: /ready}}
    scoring_route: {{port: 8080, path: /predict}}
""")
    sample = json.loads((project / "sample-request.json").read_text())
    to_send = [("POST", "/predict", {"json": sample}), ("GET", "/health", {}), ("GET", "/ready", {})]
    with local_endpoint(cli, str(deployment)) as summary, package(cli, deployment) as packaged:
        assert (packaged["port"], packaged["scoring_path"]) == (8080, "/predict")
        direct, credential = direct_of(cli, summary, 8080)
        with served(packaged["image"], 8080, "/ready") as base:
            ours = answers(base, to_send)
            assert ours == answers(direct, to_send, credential)
        listing = docker("run", "--rm", packaged["image"], "python3", "-c",
                         "import os; print(sorted(os.listdir('/var/azureml-app/azureml-models/numpy-regression-model/1"
                         "/regression')), sorted(os.listdir('/var/azureml-app/onlinescoring')))")
    assert json.loads(ours[0][1])["model_dir"] == "/var/azureml-app/azureml-models/numpy-regression-model/1"
    assert listing == "['weights.json'] ['score.py']"
