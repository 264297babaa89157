"""A batch job whose output disk fills up: a clear error naming the file, and the output written so far intact
(whole rows only, each counted as succeeded, nothing half-written, no temporary file left)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from faults.conftest import direct_prediction, read_rows, write_inputs

pytestmark = pytest.mark.docker
PADDING = 4000  # bytes added to each row: 40 rows need ~160 KB


@pytest.fixture
def small_disk(tmp_path):
    """A 128 KB tmpfs: full after about half of the rows."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "small-disk"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0755", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_output_disk_stops_the_job_with_the_path_and_keeps_whole_rows(cli, batch_project, tmp_path, small_disk):
    files = {path.name: path for path in write_inputs(tmp_path / "data", 40)}
    out = small_disk / "out"
    result = cli.run("batch", "run", str(batch_project / "deployment.yml"), "--input", str(tmp_path / "data"),
                     "--output", str(out), "--mini-batch-size", "2", "--json",
                     "--set", f"settings.environment_variables.BATCH_ROW_PADDING={PADDING}", timeout=300)
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "Failed", summary
    assert f"cannot write {out}/" in summary["error"] and "(the disk is full)" in summary["error"], summary["error"]
    assert "the job stopped" in summary["error"] and "predictions.csv.partial" in summary["error"]
    rows = read_rows(out / "predictions.csv.partial")
    assert 0 < len(rows) < 40 and len(rows) == summary["succeeded"], (len(rows), summary)
    names = [name for name, _, _ in rows]
    assert len(set(names)) == len(names)
    for name, prediction, worker in rows:  # every row whole: its prediction and all of its padding
        assert prediction == direct_prediction(files[name]) and worker.endswith("x" * PADDING)
    assert not [path for path in Path(out).rglob("*.tmp")], "a temporary file was left behind"
    assert not (out / "predictions.csv").exists()
