"""Which saves count and what they require; a burst of saves is one change (real watchdog on a temp folder)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from localep.devloop.session import watch_targets
from localep.devloop.watch import REBUILD, RELOAD, ChangeWatcher, WatchTarget, collapse, is_noise, match_targets
from localep.yamlspec.model import BuildContext, CodeConfiguration, Deployment, Environment, Model


def test_editor_and_bytecode_files_are_noise():
    for name in ("src/__pycache__/score.cpython-311.pyc", "src/.score.py.swp", "src/score.py~", "src/.#score.py",
                 "src/4913", ".git/index"):
        assert is_noise(Path(name)), name
    assert not is_noise(Path("src/score.py"))


def test_a_rebuild_subsumes_a_reload_of_the_same_deployment(tmp_path):
    code = WatchTarget("blue", tmp_path / "src", RELOAD)
    conda = WatchTarget("blue", tmp_path / "conda.yml", REBUILD)
    green = WatchTarget("green", tmp_path / "green", RELOAD)
    changes = collapse([(code, tmp_path / "src/score.py"), (conda, tmp_path / "conda.yml"),
                        (green, tmp_path / "green/score.py")])
    assert [(c.deployment, c.action) for c in changes] == [("blue", REBUILD), ("green", RELOAD)]
    assert changes[0].paths == frozenset({tmp_path / "src/score.py", tmp_path / "conda.yml"})


def test_targets_match_files_inside_folders_and_files_themselves(tmp_path):
    folder = WatchTarget("blue", tmp_path / "src", RELOAD)
    single = WatchTarget("blue", tmp_path / "model.pkl", RELOAD)
    assert match_targets(tmp_path / "src" / "pkg" / "util.py", [folder, single]) == [folder]
    assert match_targets(tmp_path / "model.pkl", [folder, single]) == [single]
    assert match_targets(tmp_path / "other.py", [folder, single]) == []


def test_watch_targets_of_a_deployment(tmp_path):
    deployment = Deployment(
        name="blue", endpoint_name="ep", file=tmp_path / "blue.yml", kind="managed",
        model=Model(name="m", version="1", path=tmp_path / "model"),
        code_configuration=CodeConfiguration(code=tmp_path / "src", scoring_script="score.py"),
        environment=Environment(build=BuildContext(path=tmp_path / "docker")),
    )
    assert [(t.path.name, t.action) for t in watch_targets(deployment)] == [
        ("src", RELOAD), ("model", RELOAD), ("docker", REBUILD)]


def test_a_burst_of_saves_is_reported_once(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "__pycache__").mkdir()
    reported = []
    done = threading.Event()

    def on_changes(changes):
        reported.append(changes)
        done.set()

    with ChangeWatcher([WatchTarget("blue", src, RELOAD)], on_changes, quiet_seconds=0.2):
        for index in range(5):
            (src / "score.py").write_text(f"version = {index}\n")
            (src / "__pycache__" / "score.pyc").write_bytes(b"noise")
            time.sleep(0.02)
        assert done.wait(5), "no change reported"
        time.sleep(0.5)
    assert len(reported) == 1
    [change] = reported[0]
    assert (change.deployment, change.action) == ("blue", RELOAD)
    assert change.paths == frozenset({src / "score.py"})
