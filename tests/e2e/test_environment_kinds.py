"""Each environment kind, built and run for real: Docker build context, BYOC image, and the server-layer warning."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

BYOC_SERVER = '''
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._send(200 if self.path in ("/health", "/ready") else 404, {"path": self.path})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._send(200 if self.path == "/predict" else 404, {"echo": body, "model_dir": os.environ.get("AZUREML_MODEL_DIR")})

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
'''


def replace_environment(deployment: Path, environment_yaml: str) -> None:
    text = deployment.read_text()
    start = text.index("environment:")
    end = text.index("instance_type:")
    deployment.write_text(text[:start] + environment_yaml + text[end:])


@pytest.fixture(scope="session")
def byoc_image(docker_client, base_image) -> str:
    tag = "localep-test/byoc:1"
    dockerfile = f"FROM {base_image}\nCOPY server.py /srv/server.py\nCMD [\"python3\", \"/srv/server.py\"]\n"
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in (("Dockerfile", dockerfile), ("server.py", BYOC_SERVER)):
            info = tarfile.TarInfo(name)
            info.size = len(content.encode())
            archive.addfile(info, io.BytesIO(content.encode()))
    buffer.seek(0)
    docker_client.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True, forcerm=True)
    return tag


def test_byoc_image_with_its_own_routes_and_port(cli, project, byoc_image):
    name = (project / "name").read_text()
    replace_environment(project / "blue-deployment.yml", f"""environment:
  image: {byoc_image}
  inference_config:
    liveness_route: {{port: 8080, path: /health}}
    readiness_route: {{port: 8080, path: /ready}}
    scoring_route: {{port: 8080, path: /predict}}
""")
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--json")
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["scoring_uri"].endswith("/score"), "the endpoint's URI is /score; the gateway maps it to /predict"
    answer = cli.json("invoke", name, "--request-file", str(project / "sample-request.json"))
    assert answer["body"]["echo"]["data"][0][0] == 1
    assert answer["body"]["model_dir"] == "/var/azureml-app/azureml-models/numpy-regression-model/1"
    cli.run("down", name)


def test_docker_build_context_on_top_of_an_environment_with_the_server(cli, project, example_image):
    name = (project / "name").read_text()
    context = project / "environment" / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {example_image}\nENV FROM_CONTEXT=yes\n")
    replace_environment(project / "blue-deployment.yml", "environment:\n  build:\n    path: environment/context\n")
    built = cli.json("build", str(project / "blue-deployment.yml"))
    assert built[0]["kind"] == "docker-context"
    assert built[0]["warnings"] == []
    up = cli.run("up", str(project / "blue-deployment.yml"), "--detach")
    assert up.returncode == 0, up.stderr.decode()
    answer = cli.json("invoke", name, "--request-file", str(project / "sample-request.json"))
    assert answer["body"] == [58.0, 41.75]
    cli.run("down", name)


def test_environment_without_the_inference_server_gets_it_with_a_warning(cli, project, base_image):
    name = (project / "name").read_text()
    conda = project / "environment" / "conda.yaml"
    conda.write_text("name: no-server\ndependencies:\n  - python=3.11\n  - numpy=1.26\n  - pip\n")
    result = cli.run("build", str(project / "blue-deployment.yml"), "--json", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    assert "lacks azureml-inference-server-http" in result.stderr.decode()
    warnings = json.loads(result.stdout)[0]["warnings"]
    assert any("lacks azureml-inference-server-http" in warning for warning in warnings), warnings
    assert any("has no conda" in warning and "numpy=1.26 -> numpy==1.26.*" in warning for warning in warnings)
    up = cli.run("up", str(project / "blue-deployment.yml"), "--detach")
    assert up.returncode == 0, up.stderr.decode()
    assert "lacks azureml-inference-server-http" in up.stderr.decode(), "warm runs repeat the warning"
    answer = cli.json("invoke", name, "--request-file", str(project / "sample-request.json"))
    assert answer["body"] == [58.0, 41.75]
    cli.run("down", name)


def test_unchanged_environment_is_never_rebuilt_and_code_changes_do_not_rebuild(cli, project, example_image):
    first = cli.json("build", str(project / "blue-deployment.yml"))[0]
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text() + "\n# edited\n")
    (project / "model" / "regression" / "weights.json").write_text(
        (project / "model" / "regression" / "weights.json").read_text().replace("10.0", "11.0"))
    second = cli.json("build", str(project / "blue-deployment.yml"))[0]
    assert first["image"] == second["image"] == example_image
    assert second["cached"] is True
    conda = project / "environment" / "conda.yaml"
    conda.write_text(conda.read_text() + "      - six\n")
    changed = cli.run("build", str(project / "blue-deployment.yml"), "--pull", "never", "--json", timeout=900)
    assert changed.returncode == 0, changed.stderr.decode()
    assert json.loads(changed.stdout)[0]["image"] != example_image


def test_pull_never_with_a_missing_base_image_names_the_field(cli, project):
    deployment = project / "blue-deployment.yml"
    deployment.write_text(deployment.read_text().replace(
        "image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", "image: localep-test/absent:1"))
    result = cli.run("build", str(deployment), "--pull", "never")
    assert result.returncode == 4
    stderr = result.stderr.decode()
    assert "localep-test/absent:1" in stderr and "--pull never" in stderr
    line = next(i for i, text in enumerate(deployment.read_text().splitlines(), 1) if "localep-test/absent" in text)
    assert f"blue-deployment.yml:{line}:" in stderr
