"""The in-pod batch driver of `export kubernetes` (shard.py), run here with this machine's Python: each pod scores its
share with its workers, failures are retried and counted, a run() past the timeout is killed and replaced, and the
last pod writes the job's predictions file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

from localep.batch.worker import shard

SCRIPT = '''import os
import time


def init():
    pass


def run(mini_batch):
    rows = []
    for path in mini_batch:
        name = os.path.basename(path)
        if "fail" in name:
            raise RuntimeError("cannot score " + name)
        if "slow" in name and not os.path.exists(path + ".tried"):
            open(path + ".tried", "w").close()
            time.sleep(30)
        rows.append(name + " " + open(path).read().strip())
    return rows
'''


def run_pod(tmp_path: Path, index: int, count: int, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, JOB_COMPLETION_INDEX=str(index))
    argv = [sys.executable, shard.__file__, "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"),
            "--count", str(count), "--workers", "2", "--mini-batch-size", "2", "--script", str(tmp_path / "code" / "s.py"),
            "--code", str(tmp_path / "code"), *extra]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def inputs(tmp_path: Path, names: List[str]) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "s.py").write_text(SCRIPT)
    (tmp_path / "in" / "nested").mkdir(parents=True)
    for position, name in enumerate(names):
        folder = tmp_path / "in" / ("nested" if position % 3 == 0 else "")
        (folder / name).write_text(str(position))


def test_pods_share_the_files_and_the_last_one_writes_the_predictions(tmp_path):
    names = [f"f{i:02d}.csv" for i in range(9)]
    inputs(tmp_path, names)
    first = run_pod(tmp_path, 0, 2)
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "out" / "predictions.csv").exists(), "pod 1 has not finished"
    second = run_pod(tmp_path, 1, 2)
    assert second.returncode == 0, second.stderr
    rows = (tmp_path / "out" / "predictions.csv").read_text().splitlines()
    assert sorted(row.split()[0] for row in rows) == names
    result = json.loads((tmp_path / "out" / "logs" / "job_result.txt").read_text())
    assert result == {"items": 9, "succeeded": 9, "failed": 0, "status": "Completed"}
    logs = tmp_path / "out" / "logs" / "user" / "stdout"
    assert sorted(p.name for p in logs.iterdir()) == ["instance-1", "instance-2"]
    assert oct((logs / "instance-1" / "process001.stdout.txt").stat().st_mode & 0o777) == "0o600"


def test_failures_are_retried_then_counted_and_a_slow_run_is_replaced(tmp_path):
    inputs(tmp_path, ["a-fail.csv", "b-slow.csv", "c.csv", "d.csv"])  # mini-batches: (b-slow, c), (a-fail, d)
    result = run_pod(tmp_path, 0, 1, "--max-retries", "2", "--timeout", "3", "--error-threshold", "1")
    assert result.returncode == shard.EXIT_THRESHOLD, result.stderr
    counts = json.loads((tmp_path / "out" / "logs" / "job_result.txt").read_text())
    assert counts["failed"] == 2 and counts["succeeded"] == 2, "the failing file's mini-batch failed twice"
    errors = "".join(p.read_text() for p in (tmp_path / "out" / "logs" / "user" / "error").rglob("*.txt"))
    assert "cannot score a-fail.csv" in errors and "did not return within 3.0 s" in errors
    assert "failed items exceed error_threshold 1" in (tmp_path / "out" / "INCOMPLETE.txt").read_text()


def test_files_are_dealt_round_robin_in_a_stable_order(tmp_path):
    inputs(tmp_path, [f"{c}.csv" for c in "abcde"])
    share = [[Path(p).name for p in shard.my_files(str(tmp_path / "in"), i, 2)] for i in range(2)]
    assert sorted(share[0] + share[1]) == [f"{c}.csv" for c in "abcde"]
    assert share == [[Path(p).name for p in shard.my_files(str(tmp_path / "in"), i, 2)] for i in range(2)]
    assert abs(len(share[0]) - len(share[1])) <= 1
