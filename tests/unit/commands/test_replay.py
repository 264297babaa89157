"""`localep replay` and the smoke orchestration, against a real HTTP server on 127.0.0.1 (no Docker)."""

from __future__ import annotations

import json
import socket
import threading
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from click_runner import all_output, cli_runner
from localep.commands.replay import command as replay_command
from localep.errors import DeploymentFailed, Location
from localep.exitcodes import ExitCode
from localep.progress import Reporter
from localep.replay import Exchange, ExchangeLog, ReplayCase, Request
from localep.runtime import labels
from localep.runtime.endpoints import EndpointAddress
from localep.runtime.lifecycle import Lifecycle
from localep.workflows import smoke
from serving import serving

BODY = {"data": [[1, 2], [3, 4]]}


class ModelServer(ThreadingHTTPServer):
    """Answers POST like a regression model: one number per row, plus an id that changes every time."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ModelHandler)
        self.intercept = 10.0
        self.requests: List[Dict[str, str]] = []  # path and headers of every request seen
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ModelHandler(BaseHTTPRequestHandler):
    server: ModelServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with self.server.lock:
            self.server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            request_id = len(self.server.requests)
        predictions = [sum(row) + self.server.intercept for row in body["data"]]
        payload = json.dumps({"predictions": predictions, "id": f"req-{request_id}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: test output should show failures, not access logs."""


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with serving(ModelServer()) as httpd:
        yield httpd


def run(*args: str):
    return cli_runner().invoke(replay_command, list(args), catch_exceptions=False)


def recording(folder: Path, predictions: List[float], request_id: str = "req-1") -> Path:
    path = folder / "traffic.jsonl"
    body = json.dumps({"predictions": predictions, "id": request_id}).encode()
    ExchangeLog(path).append(Exchange(
        time="2024-05-01T12:00:00.000Z", method="POST", path="/score",
        request_headers={"Content-Type": "application/json", "Authorization": "Bearer secret"},
        request_body=json.dumps(BODY).encode(), status=200,
        response_headers={"Content-Type": "application/json"}, response_body=body, latency_ms=3.0,
    ))
    return path


def test_matching_recording_passes_with_ignore(server: ModelServer, tmp_path: Path):
    path = recording(tmp_path, [13.0, 17.0], request_id="req-recorded")
    result = run(str(path), "--url", server.url + "/score", "--ignore", "$.id")
    assert result.exit_code == 0, all_output(result)
    assert result.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "latency ms: p50" in result.stdout
    assert server.requests[0]["path"] == "/score"
    assert "authorization" not in server.requests[0], "a redacted header is never replayed"


def test_mismatch_names_the_path_and_exits_mismatch(server: ModelServer, tmp_path: Path):
    path = recording(tmp_path, [13.0, 17.0])
    server.intercept = 10.5
    result = run(str(path), "--url", server.url, "--ignore", "id")
    assert result.exit_code == ExitCode.MISMATCH
    assert "$.predictions[0]" in result.stdout and "$.predictions[1]" in result.stdout
    assert "0 passed, 1 failed" in result.stdout


def test_unignored_id_is_a_mismatch(server: ModelServer, tmp_path: Path):
    path = recording(tmp_path, [13.0, 17.0], request_id="req-recorded")
    result = run(str(path), "--url", server.url)
    assert result.exit_code == ExitCode.MISMATCH
    assert "$.id" in result.stdout


def test_tolerances_from_the_command_line(server: ModelServer, tmp_path: Path):
    path = recording(tmp_path, [13.0, 17.0])
    server.intercept = 10.001
    assert run(str(path), "--url", server.url, "--ignore", "$.id").exit_code == ExitCode.MISMATCH
    assert run(str(path), "--url", server.url, "--ignore", "$.id", "--atol", "0.01").exit_code == 0
    assert run(str(path), "--url", server.url, "--ignore", "$.id", "--rtol", "1e-3").exit_code == 0
    assert run(str(path), "--url", server.url, "--ignore", "$.id", "--rtol", "1e-6").exit_code == ExitCode.MISMATCH


def test_json_on_stdout_and_report_files(server: ModelServer, tmp_path: Path):
    path = recording(tmp_path, [13.0, 99.0])
    junit, report = tmp_path / "out.xml", tmp_path / "out.json"
    result = run(str(path), "--url", server.url, "--ignore", "$.id", "--json", "--junit", str(junit))
    assert result.exit_code == ExitCode.MISMATCH
    document = json.loads(result.stdout)
    assert document["summary"] == {"total": 1, "passed": 0, "failed": 1, "unchecked": 0}
    assert document["cases"][0]["differences"][0]["path"] == "$.predictions[1]"
    assert "0 passed, 1 failed" in result.stderr, "the table moves to stderr when stdout carries JSON"
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"

    result = run(str(path), "--url", server.url, "--ignore", "$.id", "--json", str(report))
    assert json.loads(report.read_text())["summary"]["failed"] == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_request_files_go_to_the_url_path_and_expectations_sit_beside_them(server: ModelServer, tmp_path: Path):
    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(BODY))
    (folder / "b.json").write_text(json.dumps({"data": [[0, 0]]}))
    (folder / "b.expected.json").write_text(json.dumps({"predictions": [10.0], "id": "ignored"}))
    result = run(str(folder), "--url", server.url + "/v1/score?x=1", "--ignore", "id")
    assert result.exit_code == 0, all_output(result)
    assert [r["path"] for r in server.requests] == ["/v1/score?x=1"] * 2
    assert "1 case(s) had no expected response" in result.stdout

    single = run("--request-file", str(folder / "b.json"), "--url", server.url + "/score", "--ignore", "id")
    assert single.exit_code == 0, all_output(single)


def test_update_records_expectations_then_replay_passes(server: ModelServer, tmp_path: Path):
    request = tmp_path / "sample.json"
    request.write_text(json.dumps(BODY))
    updated = run("--request-file", str(request), "--url", server.url + "/score", "--update")
    assert updated.exit_code == 0, all_output(updated)
    expected = tmp_path / "sample.expected.json"
    assert updated.stdout.strip() == str(expected)
    assert json.loads(expected.read_text()) == {"status": 200, "body": {"predictions": [13.0, 17.0], "id": "req-1"}}
    assert run("--request-file", str(request), "--url", server.url + "/score", "--ignore", "id").exit_code == 0

    path = recording(tmp_path, [0.0, 0.0])
    server.intercept = 20.0
    again = run(str(path), "--url", server.url, "--update", "--json")
    assert again.exit_code == 0, all_output(again)
    assert json.loads(again.stdout)["updated"] == [str(path)]
    assert "changed traffic.jsonl:1: $.predictions[0]" in again.stderr
    (line,) = path.read_text().splitlines()
    assert json.loads(json.loads(line)["response"]["body"]["text"])["predictions"] == [23.0, 27.0]


def test_no_answer_fails_and_update_keeps_the_expectation(tmp_path: Path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    path = recording(tmp_path, [13.0, 17.0])
    before = path.read_text()
    result = run(str(path), "--url", url, "--timeout", "2")
    assert result.exit_code == ExitCode.MISMATCH
    assert "Connection refused" in result.stdout
    updated = run(str(path), "--url", url, "--timeout", "2", "--update")
    assert updated.exit_code == ExitCode.ERROR
    assert "no answer" in updated.stderr
    assert path.read_text() == before


@pytest.mark.parametrize("args, message", [
    ([], "exactly one of --endpoint"),
    (["--url", "http://127.0.0.1:1", "--endpoint", "x"], "exactly one of --endpoint"),
    (["--url", "ftp://127.0.0.1:1"], "not an http(s) URL"),
    (["--url", "http://127.0.0.1:1", "--ignore", "a..b.["], "--ignore"),
    (["--url", "http://127.0.0.1:1", "--json", "{source}"], "is one of the input files"),
    (["--url", "http://127.0.0.1:1", "--update", "--junit", "x.xml"], "drop --junit"),
])
def test_usage_errors_stop_before_any_request(server: ModelServer, tmp_path: Path, args: List[str], message: str):
    path = recording(tmp_path, [13.0, 17.0])
    before = path.read_text()
    result = run(str(path), *[arg.format(source=path) for arg in args])
    assert result.exit_code == ExitCode.USAGE, all_output(result)
    assert message in all_output(result)
    assert path.read_text() == before
    assert server.requests == []


def test_no_source_is_a_usage_error(server: ModelServer, tmp_path: Path):
    result = run("--url", server.url)
    assert result.exit_code == ExitCode.USAGE
    assert "name a recording" in all_output(result)
    path = recording(tmp_path, [13.0, 17.0])
    swallowed = run("--url", server.url, "--json", str(path))
    assert swallowed.exit_code == ExitCode.USAGE
    assert f"--json took {path} as its FILE" in all_output(swallowed)


def test_deployment_pin_and_endpoint_headers_are_sent(server: ModelServer, tmp_path: Path):
    case = ReplayCase("one", Request("POST", "/score", {"Content-Type": "application/json"},
                                     json.dumps(BODY).encode()), None, Location(tmp_path / "one.json"))
    address = EndpointAddress("e", server.url, "/v2/score", {"Authorization": "Bearer k"})
    options = smoke.SendOptions(headers={"azureml-model-deployment": "green"})
    (result,) = smoke.send([case], address, options, Reporter(quiet=True))
    assert result.response.status == 200
    seen = server.requests[0]
    assert seen["path"] == "/v2/score", "request files follow the endpoint's scoring path"
    assert seen["authorization"] == "Bearer k"
    assert seen["azureml-model-deployment"] == "green"


def test_isolated_project_renames_endpoint_and_deployments(example_dir: Path):
    from localep.yamlspec import load_project

    project = load_project([example_dir / "blue-deployment.yml"])
    copy = smoke.isolated_project(project, smoke.isolated_name(project.endpoint.name, "abc123"))
    assert copy.endpoint.name == "numpy-regression-smoke-abc123"
    assert [d.endpoint_name for d in copy.deployments] == ["numpy-regression-smoke-abc123"]
    assert [d.name for d in copy.deployments] == ["blue"]
    assert project.endpoint.name == "numpy-regression", "the original is untouched"
    assert smoke.isolated_name("e") != smoke.isolated_name("e")


def test_the_isolated_copy_collects_into_the_endpoints_own_folders_in_files_of_its_own():
    from localep.datacollect.plan import collection_folders, payload_logging
    from localep.yamlspec import load_project

    project = load_project([Path(__file__).resolve().parents[2] / "fixtures" / "datacollect" / "blue-deployment.yml"])
    copy = smoke.isolated_project(project, smoke.isolated_name(project.endpoint.name, "abc123"))
    original, isolated = project.deployments[0], copy.deployments[0]
    assert collection_folders(isolated) == collection_folders(original)
    assert "datacollect-smoke" not in str(collection_folders(isolated))
    logged, logged_by_copy = payload_logging(original), payload_logging(isolated)
    assert logged is not None and logged_by_copy is not None
    assert logged_by_copy.request_folder == logged.request_folder
    assert (logged.writer, logged_by_copy.writer) == ("endpoint-datacollect", "endpoint-datacollect-smoke-abc123")


def test_free_port_is_bindable():
    port = smoke.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


class FakeContainer:
    def __init__(self, name: str, endpoint: str, removed: List[str]):
        self.name = name
        self.labels = {labels.ENDPOINT: endpoint, labels.DEPLOYMENT: "blue", labels.INSTANCE: "0"}
        self._removed = removed

    def remove(self, force: bool = False) -> None:
        self._removed.append(self.name)


class FakeContainers:
    """Just enough of docker's container collection for containers.find and remove."""

    def __init__(self) -> None:
        self.removed: List[str] = []
        self.existing: List[FakeContainer] = []

    def list(self, all: bool = False, filters: Optional[Dict[str, List[str]]] = None) -> List[FakeContainer]:
        wanted = {f.split("=", 1)[1] for f in (filters or {}).get("label", []) if f.startswith(labels.ENDPOINT)}
        return [c for c in self.existing if c.labels[labels.ENDPOINT] in wanted and c.name not in self.removed]

    def get(self, name: str) -> FakeContainer:
        return next(c for c in self.existing if c.name == name)


class FakeApi:
    """The low-level listing containers.find starts from (summaries by id; names serve as ids here)."""

    def __init__(self, containers: FakeContainers) -> None:
        self._containers = containers

    def containers(self, all: bool = False, filters: Optional[Dict[str, List[str]]] = None) -> List[Dict[str, str]]:
        return [{"Id": c.name} for c in self._containers.list(all, filters)]


class FakeClient:
    def __init__(self) -> None:
        self.containers = FakeContainers()
        self.api = FakeApi(self.containers)


def test_failed_deploy_is_torn_down_and_leaves_no_state(monkeypatch, tmp_path: Path, example_dir: Path):
    from localep.runtime.state import endpoint_dir
    from localep.yamlspec import load_project

    monkeypatch.setenv("LOCALEP_HOME", str(tmp_path))
    client = FakeClient()
    seen: Dict[str, object] = {}

    def failing_deploy(docker_client, project, options, reporter, owned: Lifecycle):
        name = project.endpoint.name
        seen.update(name=name, port=options.port)
        endpoint_dir(name).mkdir(parents=True)
        client.containers.existing.append(FakeContainer(f"localep-{name}-blue", name, client.containers.removed))
        client.containers.existing.append(FakeContainer("localep-numpy-regression-blue", "numpy-regression",
                                                        client.containers.removed))
        raise DeploymentFailed("init() failed")

    monkeypatch.setattr(smoke, "deploy", failing_deploy)
    project = load_project([example_dir / "blue-deployment.yml"])
    with pytest.raises(DeploymentFailed):
        smoke.run_smoke(client, project, [], build=None, options=smoke.SendOptions(),  # type: ignore[arg-type]
                        reporter=Reporter(quiet=True))
    name = str(seen["name"])
    assert name.startswith("numpy-regression-smoke-")
    assert client.containers.removed == [f"localep-{name}-blue"], "only the private copy is removed"
    assert not endpoint_dir(name).exists()
    assert isinstance(seen["port"], int)
