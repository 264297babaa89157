"""Model data collection with the real azureml-ai-monitoring in a real container (built by localep's own pipeline
from the fixture's conda file): Microsoft's Collector pattern in score.py, payload logging by the endpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import requests
from foreground import ForegroundUp
from tests.e2e.az_shim import az, shim_env
from tests.e2e.collected import collection_folder, events, wait_for_events

from conftest import gateway_of, rename_endpoint
from localep.exitcodes import ExitCode
from localep.runtime.ports import free_port

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "datacollect"
BODY = json.dumps({"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]})
COLLECTIONS = ("model_inputs", "model_outputs", "request", "response")


@pytest.fixture
def dc_project(tmp_path, base_image, docker_client, cli, localep_home):
    """A private copy of the fixture under a unique endpoint name; nothing of it may remain running."""
    target = tmp_path / "datacollect"
    shutil.copytree(FIXTURE, target)
    name = f"dc-{uuid.uuid4().hex[:8]}"
    rename_endpoint(target, "datacollect", name)
    (target / "name").write_text(name)
    yield target
    if gateway_of(localep_home, name) or docker_client.containers.list(
            all=True, filters={"label": f"localep.endpoint={name}"}):
        assert cli.run("down", name).returncode == 0
    leftovers = [c.name for c in docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})]
    assert not leftovers, f"containers left behind: {leftovers}"


def edit(project: Path, change: Callable[[str], str]) -> None:
    path = project / "blue-deployment.yml"
    path.write_text(change(path.read_text()))


def up(cli, project: Path) -> Dict:
    result = cli.run("up", str(project), "--detach", "--json", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def score(cli, summary: Dict, count: int, parallel: int = 1) -> List[str]:
    """`count` requests with the endpoint's key; the x-request-id each answer carried."""
    session = cli.keyed_session(summary["endpoint"])

    def one(index: int) -> str:
        answer = session.post(summary["scoring_uri"], data=BODY, headers={"Content-Type": "application/json",
                                                                          "x-client-tag": f"tag-{index}"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == [58.0, 41.75]
        return answer.headers["x-request-id"]

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, range(count)))


def test_collector_score_py_collects_inputs_outputs_and_payloads(cli, dc_project, localep_home):
    name = (dc_project / "name").read_text()
    summary = up(cli, dc_project)
    folders = {c: str(collection_folder(localep_home, name, c)) for c in COLLECTIONS}
    assert summary["deployments"][0]["data_collection"] == folders
    ids = score(cli, summary, 6)

    inputs = wait_for_events(collection_folder(localep_home, name, "model_inputs"), 6)
    outputs = wait_for_events(collection_folder(localep_home, name, "model_outputs"), 6)
    assert len(inputs) == len(outputs) == 6
    assert inputs[0]["data"][0] == {str(i): i + 1 for i in range(10)}
    assert outputs[0]["data"] == [{"prediction": 58.0}, {"prediction": 41.75}]
    assert sorted(e["correlationid"] for e in inputs) == sorted(e["correlationid"] for e in outputs)
    assert len({e["correlationid"] for e in inputs}) == 6
    assert inputs[0]["agent"].startswith("azureml-ai-monitoring/")
    assert inputs[0]["type"] == "azureml.inference.model_inputs"
    assert inputs[0]["source"].endswith(f"/onlineEndpoints/{name}/deployments/blue")

    request_lines = wait_for_events(collection_folder(localep_home, name, "request"), 6)
    response_lines = wait_for_events(collection_folder(localep_home, name, "response"), 6)
    assert [e["xrequestid"] for e in request_lines] == ids == [e["xrequestid"] for e in response_lines]
    assert [e["headers"] for e in request_lines] == [{"x-client-tag": f"tag-{i}"} for i in range(6)]
    assert all(e["data"] == [58.0, 41.75] for e in response_lines)
    key = cli.json("keys", name)["primary"]
    written = list((localep_home / "datastores").rglob("*.jsonl"))
    assert key not in "".join(path.read_text() for path in written)
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in written)
    hour = time.strftime("%Y/%m/%d/%H", time.gmtime())
    assert (collection_folder(localep_home, name, "model_inputs") / hour / f"localep-{name}-blue.jsonl").is_file()

    [row] = cli.json("ps", name)
    assert row["data_collection"] == folders
    text = cli.run("up", str(dc_project), "--detach")  # again, in text: where each collection goes
    assert text.returncode == 0, text.stderr.decode()
    for collection, path in folders.items():
        assert f"blue: collects {collection} into {path}" in text.stderr.decode()


def test_a_killed_container_keeps_every_acknowledged_event(cli, dc_project, localep_home, docker_client):
    """Events the receiver answered 200 are on the host even when the container is killed right after."""
    name = (dc_project / "name").read_text()
    up(cli, dc_project)
    container = f"localep-{name}-blue"
    sender = (
        "import http.client, json\n"
        "ok = []\n"
        "for i in range(200):\n"
        "    c = http.client.HTTPConnection('127.0.0.1', 50011)\n"
        "    c.request('POST', '/modeldata/log', body=json.dumps([{'i': i}]), headers={\n"
        "        'Content-Type': 'application/json', 'ce-type': 'azureml.inference.model_inputs',\n"
        "        'ce-x-request-id': 'kill-%d' % i, 'trace-id': 'kill-%d' % i})\n"
        "    if c.getresponse().status == 200: ok.append(i)\n"
        "print(json.dumps(ok))\n"
    )
    sent = subprocess.run(["docker", "exec", container, "/opt/localep/python", "-c", sender], capture_output=True,
                          text=True, timeout=120)
    subprocess.run(["docker", "kill", container], check=True, capture_output=True, timeout=60)
    acknowledged = json.loads(sent.stdout)
    assert len(acknowledged) == 200, sent.stderr
    kept = {e["correlationid"] for e in events(collection_folder(localep_home, name, "model_inputs"))}
    assert {f"kill-{i}" for i in acknowledged} <= kept


def test_sampling_zero_collects_nothing(cli, dc_project, localep_home):
    name = (dc_project / "name").read_text()
    edit(dc_project, lambda text: text.replace("  rolling_rate: hour\n", "  rolling_rate: hour\n  sampling_rate: 0.0\n"))
    summary = up(cli, dc_project)
    score(cli, summary, 8)
    time.sleep(3)  # what the package's sender and the endpoint's queue would have written by now
    assert [path for path in (localep_home / "datastores").rglob("*.jsonl") if name in str(path)] == []


def test_disabled_collections_collect_nothing_and_two_instances_write_apart(cli, dc_project, localep_home):
    name = (dc_project / "name").read_text()
    edit(dc_project, lambda text: text.replace("instance_count: 1", "instance_count: 2").replace(
        "    model_outputs:\n      enabled: 'True'", "    model_outputs:\n      enabled: 'False'").replace(
        "    request:\n      enabled: 'True'", "    request:\n      enabled: 'False'"))
    summary = up(cli, dc_project)
    score(cli, summary, 12, parallel=4)
    inputs = wait_for_events(collection_folder(localep_home, name, "model_inputs"), 12)
    assert len(inputs) == 12
    assert len(wait_for_events(collection_folder(localep_home, name, "response"), 12)) == 12
    time.sleep(2)
    assert not collection_folder(localep_home, name, "model_outputs").exists()
    assert not collection_folder(localep_home, name, "request").exists()
    files = sorted(path.name for path in collection_folder(localep_home, name, "model_inputs").rglob("*.jsonl"))
    assert files == [f"localep-{name}-blue-2.jsonl", f"localep-{name}-blue.jsonl"]


def test_a_bad_enabled_value_is_a_spec_error_naming_the_line(cli, dc_project, docker_client):
    name = (dc_project / "name").read_text()
    edit(dc_project, lambda text: text.replace("    model_inputs:\n      enabled: 'True'",
                                              "    model_inputs:\n      enabled: true"))
    deployment = dc_project / "blue-deployment.yml"
    line = deployment.read_text().splitlines().index("      enabled: true") + 1
    for command in (("up", str(dc_project), "--detach"), ("validate", str(dc_project))):
        result = cli.run(*command)
        assert result.returncode == ExitCode.SPEC, result.stderr.decode()
        output = result.stdout.decode() + result.stderr.decode()
        assert f"{deployment}:{line}" in output and "expected the string 'True' or 'False'" in output
    assert not docker_client.containers.list(all=True, filters={"label": f"localep.endpoint={name}"})


def test_the_endpoint_answers_an_x_request_id_it_was_given(cli, dc_project, localep_home):
    name = (dc_project / "name").read_text()
    summary = up(cli, dc_project)
    session = cli.keyed_session(name)
    answer = session.post(summary["scoring_uri"], data=BODY, headers={"x-request-id": "mine-123"})
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "mine-123"
    unauthorized = requests.post(summary["scoring_uri"], data=BODY)
    assert unauthorized.status_code == 401
    lines = wait_for_events(collection_folder(localep_home, name, "request"), 1)
    assert [e["xrequestid"] for e in lines] == ["mine-123"], "only scored requests are logged"


def test_smoke_collects_into_the_endpoints_own_folders_in_files_of_its_own(cli, dc_project, localep_home, tmp_path,
                                                                             docker_client):
    name = (dc_project / "name").read_text()
    requests_folder = tmp_path / "requests"
    requests_folder.mkdir()
    for index in range(3):
        (requests_folder / f"r{index}.json").write_text(BODY)
        (requests_folder / f"r{index}.expected.json").write_text("[58.0, 41.75]")
    result = cli.run("smoke", str(dc_project / "blue-deployment.yml"), "--requests", str(requests_folder), timeout=900)
    assert result.returncode == 0, result.stderr.decode()

    for collection in COLLECTIONS:
        lines = events(collection_folder(localep_home, name, collection))
        assert len(lines) == 3, (collection, lines)
        files = {path.name for path in collection_folder(localep_home, name, collection).rglob("*.jsonl")}
        assert len(files) == 1 and f"{name}-smoke-" in files.pop(), collection
    root = collection_folder(localep_home, name, "request").parents[2]
    assert not list(root.glob(f"{name}-smoke-*")), "nothing is collected under the private copy's own name"
    assert not docker_client.containers.list(all=True, filters={"label": "localep.managed=true", "name": f"{name}-smoke"})


def test_a_save_under_debug_reloads_and_collection_goes_on_in_the_same_file(cli, dc_project, localep_home):
    """Hot reload under --debug: the receiver lives in the agent, so the reloaded server's Collectors send to it
    and the instance's file simply continues."""
    name = (dc_project / "name").read_text()
    session = ForegroundUp(cli, dc_project / "blue-deployment.yml", "--debug", "--debug-port", str(free_port()))
    try:
        for _ in range(3):
            assert session.score(BODY.encode()).json() == [58.0, 41.75]
        script = dc_project / "onlinescoring" / "score.py"
        script.write_text(script.read_text().replace("@ coefficients + intercept)", "@ coefficients + intercept + 100)"))
        session.wait_for(lambda r: r.status_code == 200 and r.json() == [158.0, 141.75], body=BODY.encode())
        for _ in range(3):
            assert session.score(BODY.encode()).json() == [158.0, 141.75]
        outputs = collection_folder(localep_home, name, "model_outputs")
        lines = wait_for_events(outputs, 6)
        assert [e["data"] for e in lines[:3]] == [[{"prediction": 58.0}, {"prediction": 41.75}]] * 3
        assert lines[-1]["data"] == [{"prediction": 158.0}, {"prediction": 141.75}]
        assert len(list(outputs.rglob("*.jsonl"))) == 1, "one instance, one file, before and after the reload"
        inputs = {e["correlationid"] for e in wait_for_events(collection_folder(localep_home, name, "model_inputs"), len(lines))}
        assert {e["correlationid"] for e in lines} <= inputs
    finally:
        assert session.stop() in (0, 130)


def test_az_ml_local_create_collects_as_up_does(dc_project, localep_home, tmp_path, cli_env):
    name = (dc_project / "name").read_text()
    env = shim_env(tmp_path, cli_env)
    created = [az(env, "ml", "online-endpoint", "create", "--local", "-n", name, "-f", str(dc_project / "endpoint.yml")),
               az(env, "ml", "online-deployment", "create", "--local", "-n", "blue", "--endpoint", name,
                  "-f", str(dc_project / "blue-deployment.yml"))]
    try:
        assert all(result.returncode == 0 for result in created), [r.stderr for r in created]
        request = tmp_path / "request.json"
        request.write_text(BODY)
        for _ in range(2):
            answer = az(env, "ml", "online-endpoint", "invoke", "--local", "--name", name, "--request-file", str(request))
            assert answer.returncode == 0 and json.loads(json.loads(answer.stdout)) == [58.0, 41.75], answer.stderr
        for collection in COLLECTIONS:
            assert len(wait_for_events(collection_folder(localep_home, name, collection), 2)) == 2, collection
    finally:
        assert az(env, "ml", "online-endpoint", "delete", "--local", "--name", name, "--yes").returncode == 0
