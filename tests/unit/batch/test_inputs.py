"""Batch inputs: folders, files and globs, and bad inputs as usage errors."""

from __future__ import annotations

import pytest

from localep.batch.inputs import InputError, resolve_input


def test_a_folder_gives_every_file_below_it_in_order(data):
    batch_input = resolve_input(str(data))
    assert [path.relative_to(data).as_posix() for path in batch_input.files] == [
        "a.csv", "b.csv", "nested/c.csv", "nested/deeper/d.txt"]
    assert batch_input.container_path(data / "nested" / "c.csv") == "/mnt/batch/inputs/data/nested/c.csv"


def test_a_file_and_a_glob(data):
    single = resolve_input(str(data / "a.csv"))
    assert single.files == (data / "a.csv",) and single.container_path(data / "a.csv") == "/mnt/batch/inputs/data/a.csv"
    matched = resolve_input(str(data / "**" / "*.csv"))
    assert [path.name for path in matched.files] == ["a.csv", "b.csv", "c.csv"] and matched.root == data


@pytest.mark.parametrize(("given", "message"), [("missing", "no such file or folder"), ("*.nothing", "matches no files")])
def test_bad_inputs_are_usage_errors(tmp_path, monkeypatch, given, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message) as caught:
        resolve_input(given)
    assert caught.value.exit_code == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no files"):
        resolve_input(str(tmp_path / "empty"))

