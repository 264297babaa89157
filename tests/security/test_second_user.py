"""Probed as a second, unprivileged user of the same machine against an endpoint the first user started.

The setup adds that user (`useradd`, once) and runs its probes with `runuser -u USER -- /usr/bin/python3 SCRIPT`:
stdlib-only scripts in a folder it can read. The endpoint is the bundled example under `up --detach --debug`,
its $LOCALEP_HOME made by localep inside a folder every user can enter, so only localep's own modes keep it private.
Needs root (for useradd/runuser) and Docker: skipped without them, failed when LOCALEP_REQUIRE_DOCKER=1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "numpy-regression"
EXAMPLE_BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
OTHER = "localep-other"
OTHER_PYTHON = "/usr/bin/python3"
SAMPLE = (EXAMPLE / "sample-request.json").read_bytes()
DAP_INITIALIZE = json.dumps({"seq": 1, "type": "request", "command": "initialize",
                             "arguments": {"adapterID": "debugpy", "clientID": "probe"}}).encode()


def _required() -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (useradd, runuser)")
    if not (shutil.which("useradd") and shutil.which("runuser") and os.path.exists(OTHER_PYTHON)):
        problems.append(f"needs useradd, runuser and {OTHER_PYTHON}")
    try:
        import docker

        docker.from_env(timeout=30).ping()
    except Exception as error:  # any failure to reach the engine means "no Docker here"
        problems.append(f"no Docker engine: {error}")
    if problems and os.environ.get("LOCALEP_REQUIRE_DOCKER") == "1":
        pytest.fail("; ".join(problems))
    if problems:
        pytest.skip("; ".join(problems))


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A folder every user may enter and read (the probes live here); LOCALEP_HOME is made inside by localep."""
    folder = Path(tempfile.mkdtemp(prefix="localep-second-user-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def other_user() -> int:
    _required()
    found = subprocess.run(["id", "-u", OTHER], capture_output=True, text=True)
    if found.returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER], check=True)
        found = subprocess.run(["id", "-u", OTHER], capture_output=True, text=True, check=True)
    return int(found.stdout)


def as_other(workspace: Path, source: str, *args: str, timeout: float = 120) -> Any:
    """Run a stdlib-only probe as the other user; it prints one JSON value, returned here."""
    script = workspace / f"probe-{uuid.uuid4().hex[:8]}.py"
    script.write_text(textwrap.dedent(source))
    os.chmod(script, 0o644)
    result = subprocess.run(["runuser", "-u", OTHER, "--", OTHER_PYTHON, str(script), *args], capture_output=True,
                            text=True, timeout=timeout, cwd=str(workspace))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Owner:
    """The first user's `localep` CLI, with LOCALEP_HOME inside the shared workspace."""

    def __init__(self, workspace: Path) -> None:
        self.home = workspace / "home"
        self.env = dict(os.environ, LOCALEP_HOME=str(self.home), PYTHONUNBUFFERED="1",
                        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "localep", *args], capture_output=True, env=self.env,
                              timeout=timeout)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.returncode == 0, result.stderr.decode()
        return json.loads(result.stdout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(workspace: Path, other_user: int) -> Iterator[Dict[str, Any]]:
    subprocess.run(["bash", str(REPO / ".ci" / "base-image"), EXAMPLE_BASE_IMAGE], check=True)
    project = workspace / "project"
    shutil.copytree(EXAMPLE, project)
    name = f"t-2nd-{uuid.uuid4().hex[:6]}"
    for yml in project.glob("*.yml"):
        yml.write_text(yml.read_text().replace("numpy-regression\n", f"{name}\n"))
    owner = Owner(workspace)
    debug_port = _free_port()
    try:
        summary = owner.json("up", str(project / "blue-deployment.yml"), "--detach", "--debug", "--debug-port",
                             str(debug_port))
        rows = owner.json("ps", name)
        key = owner.json("keys", name)["primary"]
        import docker

        container = docker.from_env().containers.get(rows[0]["container"])
        yield {"name": name, "owner": owner, "summary": summary, "row": rows[0], "key": key,
               "debug_port": debug_port, "container": container.attrs, "project": project}
    finally:
        owner.run("down", name)


def _keyed(endpoint: Dict[str, Any]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {endpoint['key']}"
    return session


def test_the_owner_scores_with_the_key(endpoint):
    answer = _keyed(endpoint).post(endpoint["summary"]["scoring_uri"], data=SAMPLE, timeout=30)
    assert answer.status_code == 200, answer.text
    assert "direct_url" not in endpoint["row"] and not any("direct_url" in d for d in endpoint["summary"]["deployments"])


def test_no_score_without_the_key_through_any_port_or_address(endpoint, workspace):
    attrs = endpoint["container"]
    bindings = {port: hosts for port, hosts in (attrs["NetworkSettings"]["Ports"] or {}).items() if hosts}
    assert not bindings and not attrs["HostConfig"]["PortBindings"], f"published: {bindings}"
    addresses = {attrs["NetworkSettings"]["IPAddress"]} | {
        network["IPAddress"] for network in attrs["NetworkSettings"]["Networks"].values() if network["IPAddress"]}
    targets = [["127.0.0.1", endpoint["summary"]["port"]], ["127.0.0.1", endpoint["debug_port"]]]
    targets += [[address, port] for address in sorted(addresses) for port in (5001, endpoint["debug_port"])]
    answers = as_other(workspace, """
        import http.client, json, sys
        results = []
        for host, port in json.loads(sys.argv[1]):
            for headers in ({}, {"Host": f"127.0.0.1:{port}"}, {"Host": "example.com"}):
                try:
                    connection = http.client.HTTPConnection(host, port, timeout=5)
                    connection.request("POST", "/score", body=sys.argv[2], headers=headers)
                    response = connection.getresponse()
                    results.append([host, port, response.status, response.read()[:200].decode("latin-1")])
                except (OSError, http.client.HTTPException) as error:
                    results.append([host, port, None, type(error).__name__])
        print(json.dumps(results))
    """, json.dumps(targets), SAMPLE.decode())
    assert not [answer for answer in answers if answer[2] == 200], answers
    by_target = {(host, port): status for host, port, status, _ in answers}
    assert by_target[("127.0.0.1", endpoint["summary"]["port"])] in (400, 401)
    assert all(by_target[(address, 5001)] == 403 for address in addresses), answers


def test_no_dap_answer_from_any_debug_endpoint(endpoint, workspace):
    socket_path = endpoint["row"]["debug_socket"]
    assert socket_path and stat.S_IMODE(os.stat(socket_path).st_mode) == 0o600
    address = endpoint["container"]["NetworkSettings"]["IPAddress"]
    answers = as_other(workspace, """
        import json, socket, sys
        message = sys.argv[1].encode()
        frame = b"Content-Length: %d\\r\\n\\r\\n" % len(message) + message
        results = {}
        for label, family, target in (("unix", socket.AF_UNIX, sys.argv[2]),
                                      ("tcp", socket.AF_INET, ("127.0.0.1", int(sys.argv[3]))),
                                      ("bridge", socket.AF_INET, (sys.argv[4], int(sys.argv[3])))):
            try:
                with socket.socket(family, socket.SOCK_STREAM) as sock:
                    sock.settimeout(5)
                    sock.connect(target)
                    sock.sendall(frame)
                    results[label] = sock.recv(4096).decode("latin-1")
            except OSError as error:
                results[label] = type(error).__name__
        print(json.dumps(results))
    """, DAP_INITIALIZE.decode(), socket_path, str(endpoint["debug_port"]), address)
    assert answers["unix"] == "PermissionError", answers
    assert "Content-Length" not in answers["tcp"] and "Content-Length" not in answers["bridge"], answers
    # The owner, through the same socket, gets debugpy's answer.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(socket_path)
        sock.sendall(b"Content-Length: %d\r\n\r\n" % len(DAP_INITIALIZE) + DAP_INITIALIZE)
        assert sock.recv(4096).startswith(b"Content-Length:")


def test_no_file_under_localep_home_or_a_recording_is_readable(endpoint, workspace):
    owner: Owner = endpoint["owner"]
    recording = workspace / "traffic.jsonl"
    recorder = subprocess.Popen([sys.executable, "-m", "localep", "record", endpoint["name"], "-o", str(recording)],
                                env=owner.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not recording.exists():
            time.sleep(0.1)
        session = _keyed(endpoint)
        uri = endpoint["summary"]["scoring_uri"] + "?api-key=s3cr3t-q&sig=s3cr3t-s&n=1"
        assert session.post(uri, data=SAMPLE, headers={"X-Auth-Token": "s3cr3t-h"}, timeout=30).status_code == 200
        while time.monotonic() < deadline and not recording.stat().st_size:
            time.sleep(0.1)
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)
    text = recording.read_text()
    assert text and "s3cr3t" not in text and endpoint["key"] not in text
    files: List[str] = [str(recording)]
    for root, folders, names in os.walk(owner.home):
        for folder in folders:
            assert stat.S_IMODE(os.stat(os.path.join(root, folder)).st_mode) == 0o700, os.path.join(root, folder)
        for name in names:
            path = os.path.join(root, name)
            files.append(path)
            assert stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0, path
    assert stat.S_IMODE(owner.home.stat().st_mode) == 0o700
    readable = as_other(workspace, """
        import json, os, sys
        readable = []
        for path in json.loads(sys.argv[1]):
            try:
                with open(path, "rb") as stream:
                    stream.read(1)
                readable.append(path)
            except OSError:
                pass
        try:
            readable += os.listdir(sys.argv[2])
        except OSError:
            pass
        print(json.dumps(readable))
    """, json.dumps(files), str(owner.home))
    assert readable == []


def test_idle_and_trickling_connections_from_another_user_do_not_fail_the_owner(endpoint, workspace):
    port = endpoint["summary"]["port"]
    attacker = subprocess.Popen(
        ["runuser", "-u", OTHER, "--", OTHER_PYTHON, "-c", textwrap.dedent("""
            import resource, socket, sys, time
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
            port, until = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
            head = b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n" % port
            held = []
            while time.monotonic() < until:
                while len(held) < 1200:  # more than the gateway's 1024: reopen whatever it closed
                    try:
                        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                        sock.setblocking(False)
                        held.append([sock, 0])
                    except OSError:
                        break
                alive = []
                for entry in held:
                    sock, sent = entry
                    try:
                        if len(alive) % 2 and sent < len(head):  # half of them trickle their head, byte by byte
                            sock.send(head[sent:sent + 1])
                            entry[1] += 1
                        elif sock.recv(1) == b"":
                            sock.close()
                            continue
                    except BlockingIOError:
                        pass
                    except OSError:
                        sock.close()
                        continue
                    alive.append(entry)
                held = alive
                time.sleep(0.5)
            print(len(held))
        """), str(port), "25"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures: List[str] = []
    statuses: List[int] = []
    stop = threading.Event()

    def owner_requests() -> None:
        session = _keyed(endpoint)
        while not stop.is_set():
            try:
                statuses.append(session.post(endpoint["summary"]["scoring_uri"], data=SAMPLE, timeout=10).status_code)
            except requests.RequestException as error:
                failures.append(type(error).__name__)
            time.sleep(0.2)

    time.sleep(3)  # the attacker fills the connection cap first
    client = threading.Thread(target=owner_requests)
    client.start()
    _, err = attacker.communicate(timeout=60)
    stop.set()
    client.join(30)
    assert attacker.returncode == 0, err
    assert len(statuses) > 20 and set(statuses) == {200} and not failures, (statuses, failures)
