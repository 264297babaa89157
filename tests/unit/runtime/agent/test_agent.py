"""The agent run for real against a gunicorn-like prefork server (prefork_server.py) and a real scoring script."""

from __future__ import annotations

import json
import signal
import time

from agent_harness import free_port, prefork_command, process_exists, request, save, scored

GOOD = "def init():\n    pass\n\n\ndef run(data):\n    return {version!r}\n"
SLOW_INIT = "import time\n\n\ndef init():\n    time.sleep({seconds})\n\n\ndef run(data):\n    return {version!r}\n"
SYNTAX_ERROR = "def init():\n    print('never closed'\n"
FAILING_INIT = "def init():\n    raise RuntimeError('model file missing')\n\n\ndef run(data):\n    return 'never'\n"
SLOW_FAILING_INIT = "import time\n\n\ndef init():\n    time.sleep(0.8)\n    raise RuntimeError('slow failure')\n"


def test_prints_ready_when_the_server_first_answers(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)

    agent.wait_for("localep-agent: ready")

    assert request(port).status == 200
    assert scored(port) == "v1"
    assert agent.status_lines() == ["localep-agent: ready"]


def test_relays_server_output_before_ready(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)

    ready = agent.wait_for("localep-agent: ready")

    assert any(line.startswith("Booting worker with pid: ") for line in agent.lines[:ready])


def test_exits_with_the_server_code_when_it_never_answered(start_agent, app_dir):
    save(app_dir, SYNTAX_ERROR)
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)

    assert agent.wait() == 3
    agent.wait_for("localep-agent: server exited with code 3")
    assert any(line.startswith("SyntaxError") for line in agent.lines), "the traceback is relayed"
    assert agent.status_lines() == ["localep-agent: server exited with code 3"]


def test_sighup_reloads_the_new_code_in_the_same_server(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("localep-agent: ready")
    master = agent.server_pids()[0]

    save(app_dir, GOOD.format(version="v2"))
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded")

    assert scored(port) == "v2"
    assert process_exists(master), "a reload swaps workers, it does not restart the server"
    assert agent.status_lines() == ["localep-agent: ready", "localep-agent: reloading", "localep-agent: reloaded"]


def test_reloaded_waits_for_a_new_worker_that_finished_init(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("localep-agent: ready")

    save(app_dir, SLOW_INIT.format(seconds=0.5, version="v2"))
    sent = time.monotonic()
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded")

    assert time.monotonic() - sent >= 0.5
    assert scored(port) == "v2"


def test_broken_save_answers_503_naming_the_error_until_a_good_save(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("localep-agent: ready")

    save(app_dir, SYNTAX_ERROR)
    agent.send(signal.SIGHUP)
    failed = agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save")

    liveness = request(port)
    scoring = request(port, "POST", "/score", b'{"data": [1, 2]}')
    assert (liveness.status, scoring.status) == (503, 503)
    assert scoring.headers["content-type"] == "application/json"
    answer = json.loads(scoring.body)
    assert answer["error"] == "scoring script failed to load"
    assert answer["detail"].startswith("SyntaxError: ")
    assert answer["location"] == f"{app_dir / 'score.py'}:2"
    assert answer["exit_code"] == 3
    assert answer["hint"] == "fix the code and save; localep reloads it"
    assert sum(line.startswith("SyntaxError") for line in agent.lines) == 1, "the traceback is not repeated"

    save(app_dir, GOOD.format(version="v3"))
    agent.send(signal.SIGHUP)
    ready = agent.wait_for("localep-agent: ready", after=failed)
    agent.wait_for("localep-agent: reloaded", after=ready)

    assert scored(port) == "v3"
    assert request(port).status == 200


def test_keep_alive_answers_503_when_the_first_start_fails(start_agent, app_dir):
    save(app_dir, FAILING_INIT)
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), "--keep-alive", port=port)

    agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save")
    answer = request(port, "GET", "/anything")

    assert answer.status == 503
    assert json.loads(answer.body)["detail"] == "RuntimeError: model file missing"
    assert agent.process.poll() is None

    save(app_dir, GOOD.format(version="v2"))
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded")
    assert scored(port) == "v2"


def test_sighup_while_starting_restarts_with_the_new_code(start_agent, app_dir):
    save(app_dir, SLOW_INIT.format(seconds=1.0, version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("Booting worker with pid: ", prefix=True)

    save(app_dir, GOOD.format(version="v2"))
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded")

    assert scored(port) == "v2"
    assert agent.status_lines() == ["localep-agent: reloading", "localep-agent: ready", "localep-agent: reloaded"]


def test_a_save_during_a_failing_reload_is_loaded_after_the_failure(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("localep-agent: ready")

    save(app_dir, SLOW_FAILING_INIT)
    agent.send(signal.SIGHUP)
    time.sleep(0.3)
    save(app_dir, GOOD.format(version="v3"))
    agent.send(signal.SIGHUP)
    failed = agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save")
    agent.wait_for("localep-agent: reloaded", after=failed)

    assert scored(port) == "v3"


def test_sigterm_stops_the_server_and_its_workers(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), port=port)
    agent.wait_for("localep-agent: ready")
    server_pids = agent.server_pids()

    agent.send(signal.SIGTERM)

    assert agent.wait(timeout=3) == 0
    assert agent.status_lines()[-1] == "localep-agent: stopped"
    assert [pid for pid in server_pids if process_exists(pid)] == []


def test_sigterm_kills_a_server_that_ignores_it(start_agent, app_dir):
    save(app_dir, GOOD.format(version="v1"))
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port, "--ignore-sigterm"), "--stop-timeout", "0.3", port=port)
    agent.wait_for("localep-agent: ready")
    server_pids = agent.server_pids()

    started = time.monotonic()
    agent.send(signal.SIGTERM)

    assert agent.wait(timeout=3) == 0
    assert time.monotonic() - started < 2
    assert [pid for pid in server_pids if process_exists(pid)] == []


def test_sigterm_while_serving_503_stops_the_fallback(start_agent, app_dir):
    save(app_dir, SYNTAX_ERROR)
    port = free_port()
    agent = start_agent(prefork_command(app_dir, port), "--keep-alive", port=port)
    agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save")

    agent.send(signal.SIGTERM)

    assert agent.wait(timeout=3) == 0
    try:
        request(port)
    except ConnectionRefusedError:
        return
    raise AssertionError("the 503 fallback still answers after SIGTERM")
