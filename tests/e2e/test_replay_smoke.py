"""`localep replay` and `localep smoke` against the real engine, the real image and the real inference server."""

from __future__ import annotations

import json
import re
import signal
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import List

import pytest

from localep.exitcodes import ExitCode
from localep.replay import Exchange, ExchangeLog

EXPECTED = [58.0, 41.75]


@pytest.fixture
def name(project: Path) -> str:
    return (project / "name").read_text()


@pytest.fixture
def smoke_leftovers(docker_client, name):
    """Containers of the endpoint's private smoke copies; none may survive a smoke run."""

    def find() -> List[str]:
        # sparse: no per-container inspect, so a container someone else removes meanwhile is no 404 here
        managed = docker_client.containers.list(all=True, sparse=True, filters={"label": "localep.managed=true"})
        return [c.attrs["Names"][0].lstrip("/") for c in managed
                if (c.attrs.get("Labels") or {}).get("localep.endpoint", "").startswith(f"{name}-smoke-")]

    yield find
    for container_name in find():
        docker_client.containers.get(container_name).remove(force=True)


def up(cli, project: Path) -> dict:
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--json")
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def placeholder_recording(project: Path) -> Path:
    """A one-line recording whose response is a placeholder, for `replay --update` to fill in from the server."""
    path = project / "traffic.jsonl"
    ExchangeLog(path).append(Exchange(
        time="2024-05-01T12:00:00.000Z", method="POST", path="/score",
        request_headers={"Content-Type": "application/json"},
        request_body=(project / "sample-request.json").read_bytes(),
        status=200, response_headers={"Content-Type": "application/json"}, response_body=b"null", latency_ms=0.0,
    ))
    return path


def set_intercept(project: Path, intercept: float) -> None:
    weights_file = project / "model" / "regression" / "weights.json"
    weights = json.loads(weights_file.read_text())
    weights["intercept"] = intercept
    weights_file.write_text(json.dumps(weights))


def sample_folder(project: Path) -> Path:
    """The example's request with the answer the unchanged example gives, az ml style."""
    folder = project / "requests"
    folder.mkdir()
    (folder / "sample.json").write_bytes((project / "sample-request.json").read_bytes())
    (folder / "sample.expected.json").write_text(json.dumps(EXPECTED))
    return folder


def test_record_replay_and_a_changed_model_is_a_mismatch(cli, project, name):
    recording = placeholder_recording(project)
    up(cli, project)
    try:
        recorded = cli.run("replay", str(recording), "--endpoint", name, "--update")
        assert recorded.returncode == 0, recorded.stderr.decode()
        line = json.loads(recording.read_text())
        assert json.loads(line["response"]["body"]["text"]) == EXPECTED

        same = cli.run("replay", str(recording), "--endpoint", name, "--json")
        assert same.returncode == 0, same.stderr.decode()
        assert json.loads(same.stdout)["summary"]["passed"] == 1

        set_intercept(project, 10.5)
        up(cli, project)  # init() reads the model once: restart on the same port
        changed = cli.run("replay", str(recording), "--endpoint", name)
        stdout = changed.stdout.decode()
        assert changed.returncode == ExitCode.MISMATCH, changed.stderr.decode()
        assert re.search(r"\$\[0\]\s+number differs\s+58\.0\s+58\.5", stdout), stdout
        assert "$[1]" in stdout
        assert stdout.splitlines()[-1] == "0 passed, 1 failed"

        assert cli.run("replay", str(recording), "--endpoint", name, "--atol", "0.5").returncode == 0
        assert cli.run("replay", str(recording), "--endpoint", name, "--rtol", "0.02").returncode == 0
        assert cli.run("replay", str(recording), "--endpoint", name, "--rtol", "0.005").returncode == ExitCode.MISMATCH
        assert cli.run("replay", str(recording), "--endpoint", name, "--ignore", "$[*]").returncode == 0
        only_first = cli.run("replay", str(recording), "--endpoint", name, "--ignore", "$[0]")
        assert only_first.returncode == ExitCode.MISMATCH
        assert "$[0]" not in only_first.stdout.decode() and "$[1]" in only_first.stdout.decode()
    finally:
        cli.run("down", name)


def test_up_record_then_replay_then_a_changed_model_mismatches(cli, project, name, tmp_path):
    recording = tmp_path / "traffic.jsonl"
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--record", str(recording))
    assert result.returncode == 0, result.stderr.decode()
    try:
        for body in (b'{"data": [[1,2,3,4,5,6,7,8,9,10]]}', b'{"data": [[0,0,0,0,0,0,0,0,0,0]]}'):
            assert cli.run("invoke", name, input=body).returncode == 0
        deadline = time.monotonic() + 10
        while (not recording.exists() or len(recording.read_text().splitlines()) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = [json.loads(line) for line in recording.read_text().splitlines()]
        assert [line["response"]["status"] for line in lines] == [200, 200]
        assert all(line["deployment"] == "blue" for line in lines)
        assert all(line["request"]["headers"].get("Authorization") == "<redacted>" for line in lines)
        replayed = cli.run("replay", str(recording), "--endpoint", name)
        assert replayed.returncode == 0, replayed.stdout.decode() + replayed.stderr.decode()
        set_intercept(project, 11.0)
        cli.run("up", str(project / "blue-deployment.yml"), "--detach")
        changed = cli.run("replay", str(recording), "--endpoint", name)
        assert changed.returncode == ExitCode.MISMATCH
        assert "$[0]" in changed.stdout.decode()
    finally:
        cli.run("down", name)


def test_replay_a_folder_by_url_with_reports(cli, project, name, tmp_path):
    folder = sample_folder(project)
    scoring_uri = up(cli, project)["scoring_uri"]
    try:
        junit, report = tmp_path / "replay.xml", tmp_path / "replay.json"
        key = cli.json("keys", name)["primary"]
        unauthorised = cli.run("replay", str(folder), "--url", scoring_uri)
        assert unauthorised.returncode == ExitCode.MISMATCH, "the endpoint wants its key, like the cloud"
        result = cli.run("replay", str(folder), "--url", scoring_uri, "--concurrency", "4", "-H",
                         f"Authorization: Bearer {key}", "--junit", str(junit), "--json", str(report))
        assert result.returncode == 0, result.stderr.decode()
        assert "latency ms: p50" in result.stdout.decode()
        assert ElementTree.parse(junit).getroot().find("testsuite").get("failures") == "0"
        assert json.loads(report.read_text())["cases"][0]["status"] == 200
    finally:
        cli.run("down", name)


def test_smoke_on_a_good_project_exits_0_and_removes_its_copy(cli, project, name, smoke_leftovers, tmp_path):
    junit = tmp_path / "smoke.xml"
    result = cli.run("smoke", str(project / "blue-deployment.yml"), "--requests", str(sample_folder(project)),
                     "--junit", str(junit))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines()[-1] == "1 passed, 0 failed"
    assert f"removing {name}-smoke-" in result.stderr.decode()
    assert junit.is_file()
    assert smoke_leftovers() == []


def test_smoke_mismatch_exits_mismatch_and_removes_its_copy(cli, project, smoke_leftovers):
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace("+ intercept)", "+ intercept + 1)"))
    result = cli.run("smoke", str(project / "blue-deployment.yml"), "--requests", str(sample_folder(project)),
                     "--json")
    assert result.returncode == ExitCode.MISMATCH, result.stderr.decode()
    differences = json.loads(result.stdout)["cases"][0]["differences"]
    assert [(d["path"], d["expected"], d["actual"]) for d in differences] == [("$[0]", 58.0, 59.0),
                                                                             ("$[1]", 41.75, 42.75)]
    assert smoke_leftovers() == []


def test_smoke_whose_deployment_fails_removes_its_copy(cli, project, smoke_leftovers):
    script = project / "onlinescoring" / "score.py"
    failing = script.read_text().replace("    global model\n", "    global model\n    raise ValueError('no')\n")
    script.write_text(failing)
    result = cli.run("smoke", str(project / "blue-deployment.yml"), "--requests", str(sample_folder(project)))
    assert result.returncode == ExitCode.DEPLOYMENT_FAILED, result.stderr.decode()
    assert "ValueError: no" in result.stderr.decode()
    assert smoke_leftovers() == []


def test_ctrl_c_during_smoke_removes_its_copy(cli, project, smoke_leftovers):
    script = project / "onlinescoring" / "score.py"
    script.write_text("import time\n" + script.read_text().replace("    global model\n",
                                                                   "    global model\n    time.sleep(120)\n"))
    process = cli.popen("smoke", str(project / "blue-deployment.yml"), "--requests", str(sample_folder(project)))
    deadline = time.monotonic() + 120
    while not smoke_leftovers():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the smoke copy never started"
        time.sleep(0.1)
    time.sleep(0.5)  # well inside the readiness wait (init() sleeps for two minutes)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, stderr.decode()
    assert "removing" in stderr.decode() and "is ready" not in stderr.decode()
    assert smoke_leftovers() == []


def test_smoke_runs_beside_a_running_up_of_the_same_endpoint(cli, project, name, docker_client, localep_home):
    summary = up(cli, project)
    container = docker_client.containers.get(summary["deployments"][0]["container"])
    state_file = localep_home / "endpoints" / name / "state.json"
    state_before = state_file.read_text()
    try:
        result = cli.run("smoke", str(project / "blue-deployment.yml"), "--requests", str(sample_folder(project)))
        stderr = result.stderr.decode()
        assert result.returncode == 0, stderr
        smoke_port = int(re.search(re.escape(name) + r"-smoke-\w+ is ready in [\d.]+s: http://127\.0\.0\.1:(\d+)/",
                                   stderr).group(1))
        assert smoke_port != summary["port"]
        container.reload()
        assert container.status == "running", "the user's endpoint keeps running"
        assert state_file.read_text() == state_before, "the user's remembered port is untouched"
        assert [row["endpoint"] for row in cli.json("ps", name)] == [name]
        assert not any(p.name.startswith(f"{name}-smoke-") for p in (localep_home / "endpoints").iterdir())
    finally:
        cli.run("down", name)


def test_record_command_captures_a_running_endpoint_until_ctrl_c(cli, project, name, tmp_path):
    recording = tmp_path / "live.jsonl"
    up(cli, project)
    recorder = cli.popen("record", name, "-o", str(recording))
    try:
        deadline = time.monotonic() + 30
        while b"recording" not in recorder.stderr.readline():
            assert recorder.poll() is None and time.monotonic() < deadline
        for body in (b'{"data": [[1,2,3,4,5,6,7,8,9,10]]}', b'{"bad": 1}'):
            cli.run("invoke", name, input=body)
        while (not recording.exists() or len(recording.read_text().splitlines()) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=30)
        assert recorder.returncode == 0
        statuses = [json.loads(line)["response"]["status"] for line in recording.read_text().splitlines()]
        assert statuses == [200, 424]
        cli.run("invoke", name, input=b'{"data": [[0,0,0,0,0,0,0,0,0,0]]}')
        time.sleep(0.5)
        assert len(recording.read_text().splitlines()) == 2, "recording stops with the command"
    finally:
        if recorder.poll() is None:
            recorder.kill()
        cli.run("down", name)
