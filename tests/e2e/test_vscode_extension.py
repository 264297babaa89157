"""The VS Code extension in a real VS Code: code-server's extension host runs the suite in
vscode-extension/src/integration/suite.ts against the real `localep` CLI, Docker and a running endpoint.

The suite writes one outcome per step to a JSON file; this test fails on any failed step, on a suite that
stops early, and (with LOCALEP_REQUIRE_DOCKER=1, as in CI) when code-server or Chromium is not installed.
No Python extension is installed: F5 on the `localep` configuration must stop at a breakpoint in score.py by
itself. When the suite asks for a screenshot (VS Code stopped at that breakpoint), this driver takes it through
chromedriver into vscode-extension/media/, where the extension's README shows it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from codeserver import EXTENSION, CodeServer, compile_extension, missing_tools

SUITE_SECONDS = 900  # the first `up --debug` of a machine builds the debugpy image layer
EXPECTED_STEPS = 17
MEDIA = EXTENSION / "media"
LAUNCH_JSON = {
    "version": "0.2.0",
    "configurations": [{"type": "localep", "request": "attach", "name": "localep: debug blue",
                        "deployment": "${workspaceFolder}/blue-deployment.yml"}],
}

BATCH_DEPLOYMENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
name: batch-blue
endpoint_name: {name}-batch
type: model
model:
  path: model/regression
code_configuration:
  code: onlinescoring
  scoring_script: score.py
environment:
  conda_file: environment/conda.yaml
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
compute: azureml:cpu-cluster
settings:
  mini_batch_size: 2
  output_action: append_row
"""


@pytest.fixture(scope="module")
def vscode_tools() -> None:
    missing = missing_tools()
    if missing:
        message = "no real VS Code here: missing " + ", ".join(missing)
        if os.environ.get("LOCALEP_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    compile_extension()


def test_extension_in_real_vscode(vscode_tools, project: Path, cli_env, tmp_path):
    name = (project / "name").read_text()
    localep = Path(sys.executable).parent / "localep"
    assert localep.exists(), f"{localep} is missing: install localep into this venv (pip install -e .)"
    (project / "batch-deployment.yml").write_text(BATCH_DEPLOYMENT.format(name=name))
    (project / ".vscode").mkdir(exist_ok=True)
    (project / ".vscode" / "settings.json").write_text(
        json.dumps({"localep.path": str(localep), "localep.refreshIntervalSeconds": 0}, indent=2))
    (project / ".vscode" / "launch.json").write_text(json.dumps(LAUNCH_JSON, indent=2))
    results = tmp_path / "results.json"
    taken = tmp_path / "screenshots"
    taken.mkdir()
    env = {**cli_env, "LOCALEP_VSCODE_RESULTS": str(results), "LOCALEP_VSCODE_ENDPOINT": name,
           "LOCALEP_VSCODE_SCREENSHOTS": str(taken)}
    state = tmp_path / "code-server"
    state.mkdir()

    with CodeServer(state, env) as server:
        driver = server.open_driven(server.url(project, [
            ("extensionDevelopmentPath", server.remote(EXTENSION)),
            ("extensionTestsPath", server.remote(EXTENSION / "out" / "integration" / "suite.js")),
        ]))
        document = _wait_for_results(results, server, SUITE_SECONDS,
                                     lambda name: _screenshot(driver, name, taken))

    outcomes = document["outcomes"]
    report = "\n".join(f"{'PASS' if o['passed'] else 'FAIL'} {o['seconds']:6.1f}s {o['name']}"
                       + (f"\n      {o['error']}" if o["error"] else "") for o in outcomes)
    print(report)
    failed = [o for o in outcomes if not o["passed"]]
    assert not failed, f"steps failed in the real VS Code:\n{report}"
    assert len(outcomes) == EXPECTED_STEPS, f"the suite ran {len(outcomes)} of {EXPECTED_STEPS} steps:\n{report}"


def _screenshot(driver, name: str, taken: Path) -> None:
    """Save the workbench as MEDIA/name, then tell the suite (a file named like it in `taken`) to go on."""
    if (taken / name).exists():
        return
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    # No hover tooltip over the shot: the pointer rests on the editor, whose stopped line and the Variables view
    # render shortly after the stop event.
    ActionChains(driver).move_to_element(driver.find_element(By.CSS_SELECTOR, ".editor-container")).perform()
    time.sleep(2.0)
    partial = MEDIA / f".{name}.partial.png"
    assert driver.save_screenshot(str(partial)), f"chromedriver took no screenshot for {name}"
    partial.replace(MEDIA / name)
    (taken / name).write_text("taken")


def _wait_for_results(results: Path, server: CodeServer, timeout_s: float,
                      screenshot: Callable[[str], None]) -> dict:
    deadline = time.monotonic() + timeout_s
    document: dict = {}
    while time.monotonic() < deadline:
        if results.exists():
            try:
                document = json.loads(results.read_text())
            except ValueError:
                document = {}  # caught mid-write
            if document.get("done"):
                return document
            if document.get("screenshot"):
                screenshot(document["screenshot"])
        assert server.server is not None and server.server.poll() is None, \
            f"code-server exited during the suite:\n{server.log_tail()}"
        time.sleep(0.5)
    raise AssertionError(f"the suite did not finish within {timeout_s:.0f} s; so far: "
                         f"{json.dumps(document.get('outcomes', []), indent=2)}\ncode-server log:\n{server.log_tail()}")
