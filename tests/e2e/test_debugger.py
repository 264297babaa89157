"""`localep up --debug` lets a real debugger stop at breakpoints in the scoring script.

The tests speak the Debug Adapter Protocol to the published debugpy port the way VS Code does with
`"subProcess": true`: attach to the gunicorn master, accept the worker's `debugpyAttach` child session on a new
connection, set breakpoints with host paths mapped onto the container's code folder, and check where the worker
stops, what a local variable holds there, and that the request or the `up` finishes once the debugger continues.
"""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from dap import DapClient, DapError, Session, Stop, attach, evaluate, top_frame

from localep.runtime.ports import free_port

REMOTE_CODE_DIR = "/var/azureml-app/onlinescoring"
EXPECTED = [58.0, 41.75]
WAIT_SECONDS = 60.0
FIRST_DEBUG_UP_SECONDS = 600.0  # the first `up --debug` of a session builds the debugpy image layer


def line_of(script: Path, statement: str) -> int:
    """The 1-based line of the first line of `script` whose code starts with `statement`."""
    for number, line in enumerate(script.read_text().splitlines(), start=1):
        if line.strip().startswith(statement):
            return number
    raise AssertionError(f"{script}: no line starts with {statement!r}")


def attach_configuration(project: Path) -> Dict[str, Any]:
    """The attach arguments of the `localep vscode` launch.json entry without its `connect`: debugpy then tells the
    client to reach the worker at its own --listen port, which works from the host only if the port is published
    under the same number, so the test checks that too."""
    return {
        "name": "localep tests",
        "type": "debugpy",
        "request": "attach",
        "justMyCode": False,
        "subProcess": True,
        "pathMappings": [{"localRoot": str(project / "onlinescoring"), "remoteRoot": REMOTE_CODE_DIR}],
    }


def debug_worker(port: int, project: Path, breakpoints: Dict[Path, List[int]], clients: List[DapClient],
                 up: Optional[subprocess.Popen] = None) -> Session:
    """Attach to the master, then to the worker it announces, with `breakpoints` set in both, as VS Code would.

    With `up` (a `localep up` still starting the container) the first connection waits as long as a first build
    may take, unless `up` exits. Every client opened is appended to `clients` so the caller closes them.
    """
    configuration = attach_configuration(project)
    if up is None:
        master = DapClient.connect("127.0.0.1", port, "master", timeout=WAIT_SECONDS)
    else:
        master = DapClient.connect("127.0.0.1", port, "master", timeout=FIRST_DEBUG_UP_SECONDS,
                                   give_up=lambda: None if up.poll() is None else f"localep up exited {up.returncode}")
    clients.append(master)
    configure(attach(master, configuration), breakpoints)
    child = master.wait_event("debugpyAttach", WAIT_SECONDS)
    assert child["connect"] == {"host": "127.0.0.1", "port": port}, child
    assert child["pathMappings"] == configuration["pathMappings"], child
    worker = DapClient.connect(child["connect"]["host"], child["connect"]["port"], f"worker {child['subProcessId']}")
    clients.append(worker)
    session = attach(worker, child)
    configure(session, breakpoints)
    return session


def configure(session: Session, breakpoints: Dict[Path, List[int]]) -> None:
    for script, lines in breakpoints.items():
        answered = session.set_breakpoints(str(script), lines)
        assert [(b["verified"], b["line"]) for b in answered] == [(True, line) for line in lines], answered
    session.configuration_done()


def stopped_at(session: Session, after: int) -> Stop:
    stopped = session.client.wait_event("stopped", WAIT_SECONDS, after=after)
    assert stopped["reason"] == "breakpoint", stopped
    return top_frame(session, stopped)


def close_all(clients: List[DapClient]) -> None:
    for client in clients:
        client.close()


def end(process: subprocess.Popen) -> bytes:
    """Stop a child process the test started, if it still runs, and return what it wrote to stderr."""
    if process.poll() is None:
        process.kill()
    _, stderr = process.communicate(timeout=WAIT_SECONDS)
    return stderr


def failure(error: Exception, cli, name: str, clients: List[DapClient],
            up: Optional[subprocess.Popen] = None) -> AssertionError:
    """An AssertionError carrying what the debugger, `up` and the server saw, so a failed wait explains itself."""
    parts = [str(error)]
    parts += [f"{client.label} received:\n{client.transcript()}" for client in clients]
    if up is not None:
        parts.append(f"localep up stderr:\n{end(up).decode()}")
    logs = cli.run("logs", name, "--tail", "40")
    parts.append(f"localep logs {name}:\n{logs.stdout.decode()}{logs.stderr.decode()}")
    return AssertionError("\n".join(parts))


def up_debug(cli, project: Path, port: int) -> Dict[str, Any]:
    result = cli.run("up", str(project / "blue-deployment.yml"), "--detach", "--debug", "--debug-port", str(port),
                     "--json", timeout=FIRST_DEBUG_UP_SECONDS)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def invoke_in_background(cli, project: Path) -> subprocess.Popen:
    name = (project / "name").read_text()
    return cli.popen("invoke", name, "--request-file", str(project / "sample-request.json"), "--json",
                     "--timeout", str(WAIT_SECONDS))


def sample_rows(project: Path) -> List[List[float]]:
    rows = json.loads((project / "sample-request.json").read_text())["data"]
    return [[float(value) for value in row] for row in rows]


def test_breakpoint_in_run_stops_the_request_until_the_debugger_continues(cli, project):
    name = (project / "name").read_text()
    script = project / "onlinescoring" / "score.py"
    line = line_of(script, "return (rows @ coefficients + intercept)")
    port = free_port()
    clients: List[DapClient] = []
    invoke = None
    try:
        summary = up_debug(cli, project, port)
        assert summary["endpoint"] == name
        worker = debug_worker(port, project, {script: [line]}, clients)
        mark = worker.client.mark()
        invoke = invoke_in_background(cli, project)

        stop = stopped_at(worker, mark)
        assert (stop.path, stop.line, stop.function) == (str(script), line, "run")
        assert ast.literal_eval(evaluate(worker, stop.frame_id, "rows.tolist()")) == sample_rows(project)
        assert invoke.poll() is None, "the request must wait while the worker is stopped at the breakpoint"

        worker.client.request("continue", {"threadId": stop.thread_id})
        stdout, stderr = invoke.communicate(timeout=WAIT_SECONDS)
        assert invoke.returncode == 0, stderr.decode()
        answer = json.loads(stdout)
        assert (answer["status"], answer["body"]) == (200, EXPECTED)
    except (DapError, subprocess.TimeoutExpired) as error:
        raise failure(error, cli, name, clients) from None
    finally:
        close_all(clients)
        if invoke is not None:
            end(invoke)
        cli.run("down", name)


def test_wait_for_debugger_holds_up_until_a_debugger_attaches_and_init_can_be_debugged(cli, project):
    name = (project / "name").read_text()
    script = project / "onlinescoring" / "score.py"
    line = line_of(script, "model = (numpy.array(weights[")
    port = free_port()
    clients: List[DapClient] = []
    up = cli.popen("up", str(project / "blue-deployment.yml"), "--detach", "--debug", "--debug-port", str(port),
                   "--wait-for-debugger")
    try:
        worker = debug_worker(port, project, {script: [line]}, clients, up=up)
        stop = stopped_at(worker, 0)
        assert (stop.path, stop.line, stop.function) == (str(script), line, "init")
        assert up.poll() is None, "up must not report ready while init() is stopped at a breakpoint"
        weights = json.loads((project / "model" / "regression" / "weights.json").read_text())
        assert ast.literal_eval(evaluate(worker, stop.frame_id, "weights")) == weights
        assert ast.literal_eval(evaluate(worker, stop.frame_id, "model_path")) == \
            "/var/azureml-app/azureml-models/numpy-regression-model/1/regression/weights.json"
        assert evaluate(worker, stop.frame_id, "model is None") == "True", "init() has not loaded the model yet"

        worker.client.request("continue", {"threadId": stop.thread_id})
        _, stderr = up.communicate(timeout=WAIT_SECONDS)
        assert up.returncode == 0, stderr.decode()
        assert f"waiting for a debugger on 127.0.0.1:{port}" in stderr.decode()
        answer = cli.run("invoke", name, "--request-file", str(project / "sample-request.json"), "--json")
        assert answer.returncode == 0, answer.stderr.decode()
        assert json.loads(answer.stdout)["body"] == EXPECTED
    except (DapError, subprocess.TimeoutExpired) as error:
        raise failure(error, cli, name, clients, up) from None
    finally:
        close_all(clients)
        end(up)
        cli.run("down", name)


def test_a_pause_longer_than_the_request_timeout_keeps_the_stop_and_the_request(cli, project):
    deployment = project / "blue-deployment.yml"
    deployment.write_text(deployment.read_text().replace("request_timeout_ms: 5000", "request_timeout_ms: 1000"))
    name = (project / "name").read_text()
    script = project / "onlinescoring" / "score.py"
    line = line_of(script, "return (rows @ coefficients + intercept)")
    port = free_port()
    clients: List[DapClient] = []
    invokes: List[subprocess.Popen] = []
    try:
        up_debug(cli, project, port)
        worker = debug_worker(port, project, {script: [line]}, clients)
        for attempt in ("first", "second"):
            mark = worker.client.mark()
            invoke = invoke_in_background(cli, project)
            invokes.append(invoke)
            stop = stopped_at(worker, mark)
            assert (stop.function, stop.line) == ("run", line), attempt
            time.sleep(3.0)  # a person reading the variables: three times the deployment's request timeout
            assert worker.client.events("continued", after=mark) == [], f"{attempt} stop ended without the debugger"
            worker.client.request("continue", {"threadId": stop.thread_id})
            stdout, stderr = invoke.communicate(timeout=WAIT_SECONDS)
            assert invoke.returncode == 0, f"{attempt} request: {stderr.decode()}"
            answer = json.loads(stdout)
            assert (answer["status"], answer["body"]) == (200, EXPECTED), attempt
    except (DapError, subprocess.TimeoutExpired) as error:
        raise failure(error, cli, name, clients) from None
    finally:
        close_all(clients)
        for invoke in invokes:
            end(invoke)
        cli.run("down", name)


def test_after_a_hot_reload_the_new_worker_reattaches_and_stops_at_breakpoints(cli, project):
    """Foreground `up --debug`: a save swaps the gunicorn worker; the debugger is offered the new one as a child."""
    name = (project / "name").read_text()
    script = project / "onlinescoring" / "score.py"
    port = free_port()
    clients: List[DapClient] = []
    up = cli.popen("up", str(project / "blue-deployment.yml"), "--debug", "--debug-port", str(port))
    invoke = None
    try:
        assert up.stdout.readline().decode().startswith("http://"), "up did not become ready"
        line = line_of(script, "return (rows @ coefficients + intercept)")
        debug_worker(port, project, {script: [line]}, clients)
        master = clients[0]
        master_mark = master.mark()
        script.write_text(script.read_text().replace("intercept).tolist()", "intercept + 100).tolist()"))
        child = master.wait_event("debugpyAttach", WAIT_SECONDS, after=master_mark)
        reloaded = DapClient.connect(child["connect"]["host"], child["connect"]["port"],
                                     f"worker {child['subProcessId']}")
        clients.append(reloaded)
        session = attach(reloaded, child)
        configure(session, {script: [line]})
        mark = reloaded.mark()
        invoke = invoke_in_background(cli, project)
        stop = stopped_at(session, mark)
        assert (stop.path, stop.line, stop.function) == (str(script), line, "run")
        reloaded.request("continue", {"threadId": stop.thread_id})
        stdout, stderr = invoke.communicate(timeout=WAIT_SECONDS)
        assert invoke.returncode == 0, stderr.decode()
        assert json.loads(stdout)["body"] == [158.0, 141.75]
    except (DapError, subprocess.TimeoutExpired) as error:
        raise failure(error, cli, name, clients, up) from None
    finally:
        close_all(clients)
        if invoke is not None:
            end(invoke)
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=WAIT_SECONDS)
        cli.run("down", name)
