"""What the in-container driver makes of run()'s return (the DataFrame path runs for real in tests/e2e)."""

from __future__ import annotations

import importlib.util

import pytest

from localep.batch.channel import WORKER_SCRIPT_ON_HOST

spec = importlib.util.spec_from_file_location("batch_worker", WORKER_SCRIPT_ON_HOST)
assert spec is not None and spec.loader is not None
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)


def test_a_list_is_written_one_str_per_line():
    assert worker._result_rows(["a.png 3", 7, {"k": 1}], "append_row") == (3, "a.png 3\n7\n{'k': 1}\n")


@pytest.mark.parametrize("result", [None, "text", (1, 2), {"a": 1}])
def test_append_row_takes_only_a_list_or_a_dataframe(result):
    with pytest.raises(TypeError, match="The type of return value is not a list or dataframe"):
        worker._result_rows(result, "append_row")


def test_summary_only_counts_what_run_returned_and_writes_nothing():
    assert worker._result_rows(["a", "b"], "summary_only") == (2, "")
    assert worker._result_rows((True for _ in range(3)), "summary_only") == (3, "")  # a generator
    with pytest.raises(TypeError, match="returned None"):
        worker._result_rows(None, "summary_only")
