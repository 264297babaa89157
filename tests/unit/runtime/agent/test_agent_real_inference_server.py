"""The agent against the real azureml-inference-server-http (gunicorn), when a Python that has it is around.

Skipped otherwise, except where every component is required (LOCALEP_REQUIRE_DOCKER=1, as .ci/run sets it, and
.ci/run provides the server's Python as LOCALEP_SERVER_PYTHON): there a missing server fails. The server binds 0.0.0.0 (it has no host flag); the agent's own fallback binds 127.0.0.1 here.
Run with `-s` to see the measured reload times.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest
from agent_harness import free_port, request, save, scored

CANDIDATE_PYTHONS = (sys.executable, os.environ.get("LOCALEP_SERVER_PYTHON", ""), "/tmp/aml/venv/bin/python")

SCORE = "def init():\n    pass\n\n\ndef run(data):\n    return {version!r}\n"
SYNTAX_ERROR = "def init():\n    pass\n\n\ndef run(data:\n    return 'never'\n"


def inference_server_python() -> Optional[str]:
    if importlib.util.find_spec("azureml_inference_server_http") is not None:
        return sys.executable
    for python in CANDIDATE_PYTHONS[1:]:
        if python and Path(python).exists():
            found = subprocess.run([python, "-c", "import azureml_inference_server_http"], capture_output=True)
            if found.returncode == 0:
                return python
    return None


SERVER_PYTHON = inference_server_python()
if SERVER_PYTHON is None and os.environ.get("LOCALEP_REQUIRE_DOCKER") == "1":
    raise RuntimeError("LOCALEP_REQUIRE_DOCKER=1 but no Python with azureml-inference-server-http was found "
                       "(set LOCALEP_SERVER_PYTHON, as .ci/run does)")
pytestmark = pytest.mark.skipif(SERVER_PYTHON is None, reason="azureml-inference-server-http is not installed")


def test_reload_broken_save_and_recovery_with_the_real_server(start_agent, app_dir):
    save(app_dir, SCORE.format(version="v1"))
    port = free_port()
    command = [str(SERVER_PYTHON), "-m", "azureml_inference_server_http"]
    command += ["--entry_script", str(app_dir / "score.py"), "--port", str(port)]
    agent = start_agent(command, port=port)
    agent.wait_for("localep-agent: ready", timeout=30)
    assert scored(port) == "v1"

    save(app_dir, SCORE.format(version="v2"))
    sent = time.monotonic()
    agent.send(signal.SIGHUP)
    reloaded = agent.wait_for("localep-agent: reloaded")
    reload_seconds = time.monotonic() - sent
    assert scored(port) == "v2"

    save(app_dir, SYNTAX_ERROR)
    sent = time.monotonic()
    agent.send(signal.SIGHUP)
    failed = agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save", reloaded)
    failure_seconds = time.monotonic() - sent
    answer = request(port, "POST", "/score", b"{}")
    assert answer.status == 503
    assert json.loads(answer.body)["detail"].startswith("SyntaxError: ")
    assert json.loads(answer.body)["location"] == f"{app_dir / 'score.py'}:5"

    save(app_dir, SCORE.format(version="v3"))
    sent = time.monotonic()
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded", failed, timeout=30)
    restart_seconds = time.monotonic() - sent
    assert scored(port) == "v3"

    print(
        f"\nreal server: reload {reload_seconds:.2f} s, broken save to 503 {failure_seconds:.2f} s, "
        f"restart after the fix {restart_seconds:.2f} s"
    )
    agent.send(signal.SIGTERM)
    assert agent.wait() == 0


LEAK = "import os\n\n\ndef init():\n    pass\n\n\ndef run(data):\n    return os.environ.get('LOCALEP_UPSTREAM_SECRET', 'unseen')\n"
GATE = Path(__file__).resolve().parents[4] / "localep" / "runtime" / "agent" / "gunicorn_gate.py"


def test_server_and_fallback_answer_only_requests_carrying_the_endpoints_secret(start_agent, app_dir, monkeypatch):
    monkeypatch.setenv("LOCALEP_UPSTREAM_SECRET", "s3cret")
    monkeypatch.setenv("GUNICORN_CMD_ARGS", f"--config {GATE}")
    keyed = {"X-Localep-Upstream-Secret": "s3cret"}
    save(app_dir, LEAK)
    port = free_port()
    command = [str(SERVER_PYTHON), "-m", "azureml_inference_server_http"]
    agent = start_agent([*command, "--entry_script", str(app_dir / "score.py"), "--port", str(port)], port=port)
    ready = agent.wait_for("localep-agent: ready", timeout=30)  # its own probe carries the secret
    for method, path in (("POST", "/score"), ("GET", "/"), ("GET", "/swagger.json")):
        assert request(port, method, path, b"{}" if method == "POST" else None).status == 403
    assert request(port, "POST", "/score", b"{}", {"X-Localep-Upstream-Secret": "wrong"}).status == 403
    answer = request(port, "POST", "/score", b"{}", keyed)
    assert answer.status == 200 and json.loads(answer.body) == "unseen", "the scoring script never sees the secret"

    agent.send(signal.SIGHUP)  # gunicorn re-reads its configuration for the new workers: the gate stays shut
    ready = agent.wait_for("localep-agent: reloaded", ready)
    assert request(port, "POST", "/score", b"{}").status == 403
    assert request(port, "POST", "/score", b"{}", keyed).status == 200

    save(app_dir, SYNTAX_ERROR)
    agent.send(signal.SIGHUP)
    failed = agent.wait_for("localep-agent: server exited with code 3; serving 503 until the next good save", ready)
    assert request(port, "POST", "/score", b"{}").status == 403, "the fallback names no error to strangers"
    assert request(port, "POST", "/score", b"{}", keyed).status == 503
    save(app_dir, LEAK)
    agent.send(signal.SIGHUP)
    agent.wait_for("localep-agent: reloaded", failed, timeout=30)  # the restarted server's gate holds the secret too
    assert request(port, "POST", "/score", b"{}").status == 403
    assert request(port, "POST", "/score", b"{}", keyed).status == 200
