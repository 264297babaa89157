"""The batch output layout follows the cloud's, and an earlier job's output is kept unless overwritten."""

from __future__ import annotations

import pytest

from localep.batch.inputs import InputError
from localep.batch.layout import OutputLayout, finish_complete, mark_incomplete, prepare_output


def test_an_earlier_jobs_output_is_refused_unless_overwritten(tmp_path):
    layout = prepare_output(tmp_path / "out", "predictions.csv", overwrite=False)
    layout.partial_predictions.write_text("row\n")
    finish_complete(layout, keep_predictions=True)
    assert layout.predictions.read_text() == "row\n" and not layout.partial_predictions.exists()
    with pytest.raises(InputError, match="already holds the output of an earlier job"):
        prepare_output(tmp_path / "out", "predictions.csv", overwrite=False)
    again = prepare_output(tmp_path / "out", "predictions.csv", overwrite=True)
    assert not again.predictions.exists() and again.partial_predictions.exists()
    mark_incomplete(again, "Canceled", "Ctrl-C", 1, 4)
    assert "INCOMPLETE" in again.incomplete_marker.read_text() and "1 of 4 mini-batches" in again.incomplete_marker.read_text()


def test_the_layout_follows_the_cloud(tmp_path):
    layout = OutputLayout(tmp_path, "scores.csv", "20260101000000")
    assert layout.user_stream("stdout", "instance-1", "process001") == (
        tmp_path / "logs" / "user" / "stdout" / "instance-1" / "process001.stdout.txt")
    assert layout.container_user_stream("stderr", "instance-2", "process003") == (
        "/mnt/batch/outputs/score/logs/user/stderr/instance-2/process003.stderr.txt")
    assert layout.progress_overview.name == "job_progress_overview.20260101000000.txt"

