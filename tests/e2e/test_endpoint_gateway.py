"""One endpoint, two real deployments that answer differently, behind the gateway (issue 5's definition of done)."""

from __future__ import annotations

import collections
import concurrent.futures
import json
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

SCORE = '''
import json, os, time

import numpy

model = None


def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "regression", "weights.json")) as handle:
        weights = json.load(handle)
    model = (numpy.array(weights["coefficients"]), float(weights["intercept"]))


def run(raw_data):
    request = json.loads(raw_data)
    if request.get("sleep"):
        time.sleep(float(request["sleep"]))
    if request.get("fail"):
        raise RuntimeError("asked to fail")
    coefficients, intercept = model
    return {"who": os.environ["WHO"], "value": (numpy.array(request["data"], dtype=float) @ coefficients + intercept).tolist()}
'''
ZERO = [[0] * 10]


@pytest.fixture
def two_deployments(project: Path) -> Path:
    """blue (intercept 10) and green (intercept 20) on one endpoint, 70/30, with a short request timeout."""
    (project / "onlinescoring" / "score.py").write_text(SCORE)
    name = (project / "name").read_text()
    blue = project / "blue-deployment.yml"
    text = blue.read_text().replace("request_timeout_ms: 5000", "request_timeout_ms: 1500")
    blue.write_text(text + "environment_variables:\n  WHO: blue\n")
    green_model = project / "model-green" / "regression"
    shutil.copytree(project / "model" / "regression", green_model)
    weights = green_model / "weights.json"
    weights.write_text(weights.read_text().replace('"intercept": 10.0', '"intercept": 20.0'))
    green = text.replace("name: blue\n", "name: green\n").replace("path: model/regression", "path: model-green/regression")
    (project / "green-deployment.yml").write_text(green + "environment_variables:\n  WHO: green\n")
    (project / "endpoint.yml").write_text(f"name: {name}\nauth_mode: key\ntraffic:\n  blue: 70\n  green: 30\n")
    return project


@pytest.fixture
def endpoint(cli, two_deployments):
    project = two_deployments
    result = cli.run("up", str(project / "endpoint.yml"), str(project / "blue-deployment.yml"),
                     str(project / "green-deployment.yml"), "--detach", "--json")
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    keys = cli.json("keys", summary["endpoint"])
    session = cli.keyed_session(summary["endpoint"])
    yield summary, keys, session
    cli.run("down", summary["endpoint"])


def score(session, uri, payload=None, **headers):
    return session.post(uri, json=payload or {"data": ZERO}, headers=headers, timeout=30)


def test_traffic_split_pinning_and_who_answered(endpoint):
    summary, _, session = endpoint
    uri = summary["scoring_uri"]
    counts = collections.Counter()
    for _ in range(2000):
        answer = score(session, uri)
        assert answer.status_code == 200
        assert answer.headers["azureml-model-deployment"] == answer.json()["who"]
        counts[answer.json()["who"]] += 1
    assert abs(counts["blue"] / 2000 - 0.70) <= 0.04, counts
    assert score(session, uri, **{"azureml-model-deployment": "green"}).json()["who"] == "green"
    unknown = score(session, uri, **{"azureml-model-deployment": "purple"})
    assert unknown.status_code == 404 and "purple" in unknown.text


def test_zero_percent_deployment_still_serves_pinned_requests(cli, endpoint):
    summary, _, session = endpoint
    cli.json("traffic", "set", summary["endpoint"], "blue=100", "green=0")
    uri = summary["scoring_uri"]
    assert {score(session, uri).json()["who"] for _ in range(50)} == {"blue"}
    assert score(session, uri, **{"azureml-model-deployment": "green"}).json()["value"] == [20.0]
    cli.json("traffic", "set", summary["endpoint"], "blue=0", "green=0")
    nowhere = score(session, uri)
    assert nowhere.status_code == 404


def test_auth_401_without_key_and_200_with_each_key(endpoint):
    summary, keys, _ = endpoint
    uri = summary["scoring_uri"]
    assert requests.post(uri, json={"data": ZERO}).status_code == 401
    assert requests.post(uri, json={"data": ZERO}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    for key in (keys["primary"], keys["secondary"]):
        assert requests.post(uri, json={"data": ZERO}, headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_cloud_error_answers_424_408_429(endpoint):
    summary, _, session = endpoint
    uri = summary["scoring_uri"]
    pin = {"azureml-model-deployment": "blue"}
    failed = score(session, uri, {"data": ZERO, "fail": True}, **pin)
    assert failed.status_code == 424
    assert failed.headers["ms-azureml-model-error-statuscode"] == "500"
    assert failed.headers["ms-azureml-model-error-reason"]
    slow = score(session, uri, {"data": ZERO, "sleep": 3}, **pin)
    assert slow.status_code == 408, slow.text
    time.sleep(2)  # let the single worker finish the slow request
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: score(session, uri, {"data": ZERO, "sleep": 1}, **pin).status_code, range(6)))
    assert statuses.count(429) >= 1, statuses
    assert statuses.count(200) >= 1, statuses


def test_mirror_gets_its_share_and_the_client_never_sees_it(cli, endpoint, docker_client):
    summary, _, session = endpoint
    name, uri = summary["endpoint"], summary["scoring_uri"]
    cli.json("traffic", "set", name, "blue=100", "green=0")
    cli.json("traffic", "mirror", name, "green=50")
    answers = [score(session, uri) for _ in range(400)]
    assert {a.json()["who"] for a in answers} == {"blue"}
    time.sleep(1.0)
    stats = cli.json("stats", name)
    mirrored = stats["mirror"]["stats"]["requests"]
    assert stats["mirror"]["deployment"] == "green"
    assert 0.40 * 400 <= mirrored <= 0.60 * 400, stats["mirror"]

    docker_client.containers.get(f"localep-{name}-green").stop(timeout=1)
    started = time.monotonic()
    answers = [score(session, uri) for _ in range(100)]
    assert all(a.status_code == 200 and a.json()["who"] == "blue" for a in answers)
    assert time.monotonic() - started < 10, "a dead mirror must not slow the client down"
    time.sleep(1.0)
    assert cli.json("stats", name)["mirror"]["stats"]["errors"] > 0, "mirror failures are counted"


def test_live_traffic_change_drops_no_request(cli, endpoint):
    summary, _, session = endpoint
    name, uri = summary["endpoint"], summary["scoring_uri"]
    failures, seen = [], collections.Counter()
    stop = threading.Event()

    def load():
        client = requests.Session()
        client.headers.update(session.headers)
        while not stop.is_set():
            answer = score(client, uri)
            if answer.status_code != 200:
                failures.append(answer.status_code)
            else:
                seen[answer.json()["who"]] += 1

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for split in (("blue=0", "green=100"), ("blue=100", "green=0"), ("blue=50", "green=50")):
        time.sleep(0.5)
        cli.json("traffic", "set", name, *split)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures
    assert seen["blue"] > 0 and seen["green"] > 0
    rows = cli.json("ps", name)
    assert {(r["deployment"], r["traffic"]) for r in rows} == {("blue", 50), ("green", 50)}


def test_attaching_a_deployment_later_leaves_the_first_alone(cli, two_deployments, docker_client):
    project = two_deployments
    name = (project / "name").read_text()
    (project / "endpoint.yml").unlink()
    first = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--json")
    assert first.returncode == 0, first.stderr.decode()
    blue_id = docker_client.containers.get(f"localep-{name}-blue").id
    second = cli.run("up", str(project / "green-deployment.yml"), "--detach", "--json")
    assert second.returncode == 0, second.stderr.decode()
    assert json.loads(second.stdout)["port"] == json.loads(first.stdout)["port"]
    assert docker_client.containers.get(f"localep-{name}-blue").id == blue_id
    rows = {r["deployment"]: r for r in cli.json("ps", name)}
    assert rows["blue"]["traffic"] == 100 and rows["green"]["traffic"] == 0, "a new deployment starts at 0%"
    cli.run("down", name, "--deployment", "green")
    assert [r["deployment"] for r in cli.json("ps", name)] == ["blue"]
    cli.run("down", name)


def test_instance_count_runs_that_many_containers(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = project / "blue-deployment.yml"
    deployment.write_text(deployment.read_text().replace("instance_count: 1", "instance_count: 2"))
    result = cli.run("up", str(deployment), "--detach")
    assert result.returncode == 0, result.stderr.decode()
    rows = cli.json("ps", name)
    assert sorted(r["container"] for r in rows) == [f"localep-{name}-blue", f"localep-{name}-blue-2"]
    assert all(r["health"] == "healthy" for r in rows)
    cli.run("down", name)


KILL_SERVER = (
    "import os, signal\n"
    "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
    "    try:\n"
    "        cmd = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
    "    except OSError:\n"
    "        continue\n"
    "    if b'azureml_inference_server_http' in cmd and b'agent.py' not in cmd:\n"
    "        os.kill(int(pid), signal.SIGKILL)\n"
)


def test_failing_liveness_probe_restarts_the_instance_and_ps_shows_it(cli, project, docker_client):
    name = (project / "name").read_text()
    deployment = project / "blue-deployment.yml"
    deployment.write_text(deployment.read_text() + "liveness_probe:\n  initial_delay: 1\n  period: 1\n"
                          "  timeout: 1\n  failure_threshold: 2\n")
    assert cli.run("up", str(deployment), "--detach").returncode == 0
    container = docker_client.containers.get(f"localep-{name}-blue")
    started_at = container.attrs["State"]["StartedAt"]
    container.exec_run(["/opt/localep/python", "-c", KILL_SERVER])
    deadline = time.monotonic() + 60
    while True:
        container.reload()
        if container.attrs["State"]["StartedAt"] != started_at:
            break
        assert time.monotonic() < deadline, "the gateway never restarted the instance"
        time.sleep(0.5)
    while True:
        row = cli.json("ps", name)[0]
        if row["health"] == "healthy":
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.5)
    assert row["restarts"] >= 1
    key = cli.json("keys", name)["primary"]
    answer = requests.post(row["url"], json={"data": ZERO}, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    cli.run("down", name)


def test_up_a_folder_and_aml_token_auth(cli, two_deployments):
    project = two_deployments
    name = (project / "name").read_text()
    endpoint = project / "endpoint.yml"
    endpoint.write_text(endpoint.read_text().replace("auth_mode: key", "auth_mode: aml_token"))
    result = cli.run("up", str(project), "--detach", "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(r["deployment"] for r in cli.json("ps", name)) == ["blue", "green"]
    uri = json.loads(result.stdout)["scoring_uri"]
    assert requests.post(uri, json={"data": ZERO}).status_code == 401
    answer = cli.json("invoke", name, "--deployment", "green", "--request-file", str(project / "sample-request.json"))
    assert answer["status"] == 200 and answer["deployment"] == "green"
    token = cli.json("keys", name)["token"]
    assert token["expiryTimeUtc"]
    assert requests.post(uri, json={"data": ZERO}, headers={"Authorization": f"Bearer {token['accessToken']}"}).ok
    log = cli.run("logs", name, "--gateway").stdout.decode()
    assert "deployment=green status=200" in log
    cli.run("down", name)


def test_stopping_a_foreground_up_keeps_deployments_another_up_attached(cli, two_deployments, docker_client):
    project = two_deployments
    name = (project / "name").read_text()
    (project / "endpoint.yml").unlink()
    first = cli.popen("up", str(project / "blue-deployment.yml"), "--no-reload")
    try:
        uri = first.stdout.readline().decode().strip()
        assert uri.startswith("http://"), first.stderr.read().decode()
        attached = cli.run("up", str(project / "green-deployment.yml"), "--detach")
        assert attached.returncode == 0, attached.stderr.decode()
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
        assert [r["deployment"] for r in cli.json("ps", name)] == ["green"]
        answer = cli.json("invoke", name, "--deployment", "green", "--request-file", str(project / "sample-request.json"))
        assert answer["status"] == 200 and answer["body"]["who"] == "green"
    finally:
        if first.poll() is None:
            first.kill()
        cli.run("down", name)
