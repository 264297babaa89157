"""The inner dev loop against the real engine: save -> new answer; broken save -> 503, session survives."""

from __future__ import annotations

import time
from typing import List

import pytest
from foreground import ForegroundUp

from localep.runtime.ports import free_port


@pytest.fixture
def foreground(cli, project):
    runs: List[ForegroundUp] = []

    def start(*extra: str) -> ForegroundUp:
        runs.append(ForegroundUp(cli, project / "blue-deployment.yml", *extra))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()


def test_saving_the_scoring_script_serves_the_new_code(project, foreground):
    up = foreground()
    assert up.score().json() == [58.0]
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace("return (rows @ coefficients + intercept).tolist()",
                                                 "return (rows @ coefficients + intercept + 1000).tolist()"))
    assert up.wait_for(lambda r: r.status_code == 200 and r.json() == [1058.0]).json() == [1058.0]
    up.wait_log("new code answers")


def test_changing_the_model_reloads_init(project, foreground):
    up = foreground()
    weights = project / "model" / "regression" / "weights.json"
    weights.write_text(weights.read_text().replace('"intercept": 10.0', '"intercept": 110.0'))
    up.wait_for(lambda r: r.status_code == 200 and r.json() == [158.0])


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_broken_save_answers_503_and_the_next_good_save_recovers(project, foreground, debug):
    up = foreground(*(("--debug", "--debug-port", str(free_port())) if debug else ()))
    script = project / "onlinescoring" / "score.py"
    good = script.read_text()
    script.write_text(good.replace("def run(raw_data):", "def run(raw_data:", 1))
    seen = []
    # From the save on, every answer is the old code's 200 or a 503 (the endpoint's own while the broken server
    # goes away, then the agent's naming the error): never a 502.
    broken = up.wait_for(lambda r: seen.append(r.status_code) or (r.status_code == 503 and "detail" in r.json()))
    assert set(seen) <= {200, 503}, seen
    body = broken.json()
    assert "SyntaxError" in body["detail"]
    assert body["location"].endswith("score.py:" + str(good.splitlines().index("def run(raw_data):") + 1))
    assert up.process.poll() is None, "the session survives a broken save"
    assert up.log().count("SyntaxError") >= 1
    script.write_text(good)
    up.wait_for(lambda r: r.status_code == 200 and r.json() == [58.0])
    assert up.stop() == 130


def test_init_that_raises_after_a_save_also_recovers(project, foreground):
    up = foreground()
    script = project / "onlinescoring" / "score.py"
    good = script.read_text()
    script.write_text(good.replace("    global model\n", "    global model\n    raise ValueError('bad weights')\n"))
    seen = []
    broken = up.wait_for(lambda r: seen.append(r.status_code) or (r.status_code == 503 and "detail" in r.json()))
    assert set(seen) <= {200, 503}, seen
    assert "ValueError: bad weights" in broken.json()["detail"]
    script.write_text(good)
    up.wait_for(lambda r: r.status_code == 200)


def test_no_reload_ignores_saves(project, foreground):
    up = foreground("--no-reload")
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace("intercept).tolist()", "intercept + 1).tolist()"))
    time.sleep(2.0)
    assert up.score().json() == [58.0]


def test_environment_change_rebuilds_and_replaces_the_container(project, foreground, example_image):
    context = project / "environment" / "context"
    context.mkdir()
    dockerfile = context / "Dockerfile"
    dockerfile.write_text(f"FROM {example_image}\nENV MARKER=one\n")
    deployment = project / "blue-deployment.yml"
    text = deployment.read_text()
    deployment.write_text(text[:text.index("environment:")] + "environment:\n  build:\n    path: environment/context\n"
                          + text[text.index("instance_type:"):])
    script = project / "onlinescoring" / "score.py"
    script.write_text(script.read_text().replace(
        "    return (rows @ coefficients + intercept).tolist()",
        "    return {'marker': os.environ.get('MARKER'), 'value': (rows @ coefficients + intercept).tolist()}"))
    up = foreground()
    assert up.score().json()["marker"] == "one"
    dockerfile.write_text(f"FROM {example_image}\nENV MARKER=two\n")
    up.wait_for(lambda r: r.status_code == 200 and r.json()["marker"] == "two", seconds=60)
    up.wait_log("the environment is rebuilt")
