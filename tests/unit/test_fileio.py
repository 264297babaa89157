"""The one atomic writer: private files are 0600 from the first byte, temporaries are unique and never left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from localep import fileio
from localep.fileio import atomic_write, atomic_write_json


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_file_is_never_visible_with_a_wider_mode(tmp_path, monkeypatch):
    seen_modes = []
    real_replace = os.replace

    def spying_replace(source, target):
        seen_modes.append(stat.S_IMODE(os.stat(source).st_mode))
        real_replace(source, target)

    monkeypatch.setattr(fileio.os, "replace", spying_replace)
    atomic_write(tmp_path / "keys.json", "secret", private=True)
    assert seen_modes == [0o600]
    assert mode_of(tmp_path / "keys.json") == 0o600


def test_a_public_file_keeps_the_mode_it_had(tmp_path):
    target = tmp_path / "launch.json"
    target.write_text("{}")
    os.chmod(target, 0o640)
    atomic_write(target, "{\r\n}\r\n")
    assert mode_of(target) == 0o640
    assert target.read_bytes() == b"{\r\n}\r\n"


def test_a_new_public_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "new.txt") == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_concurrent_writers_never_clash_or_tear(tmp_path):
    target = tmp_path / "config.json"
    errors = []

    def write(n: int) -> None:
        try:
            for _ in range(50):
                atomic_write_json(target, {"writer": n, "padding": "x" * 4096})
        except Exception as error:  # any failure is the test's failure
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert target.read_text().startswith('{\n  "padding"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_folders_are_created(tmp_path):
    atomic_write_json(tmp_path / "a" / "b" / "c.json", [1])
    assert (tmp_path / "a" / "b" / "c.json").read_text() == "[\n  1\n]\n"


def test_private_folders_are_0700_from_their_mkdir_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        fileio.make_dirs(tmp_path / "home" / "endpoints" / "e1", private=True)
        fileio.atomic_write(tmp_path / "home2" / "a" / "state.json", "{}", private=True)
    finally:
        os.umask(old)
    for folder in (tmp_path / "home", tmp_path / "home" / "endpoints", tmp_path / "home" / "endpoints" / "e1",
                   tmp_path / "home2", tmp_path / "home2" / "a"):
        assert mode_of(folder) == 0o700, folder
    assert mode_of(tmp_path / "home2" / "a" / "state.json") == 0o600


def test_private_mkdir_leaves_existing_folders_alone(tmp_path):
    os.chmod(tmp_path, 0o755)
    fileio.make_dirs(tmp_path / "new", private=True)
    assert mode_of(tmp_path) == 0o755
    assert mode_of(tmp_path / "new") == 0o700


def test_private_append_creates_0600_whatever_the_umask_and_appends(tmp_path):
    old = os.umask(0)
    try:
        for text in (b"one\n", b"two\n"):
            with fileio.open_append(tmp_path / "logs" / "gateway.log", private=True) as stream:
                stream.write(text)
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "logs") == 0o700
    assert mode_of(tmp_path / "logs" / "gateway.log") == 0o600
    assert (tmp_path / "logs" / "gateway.log").read_bytes() == b"one\ntwo\n"


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from localep.exchanges import ExchangeLog
from localep.fileio import WriteFailed, append_whole
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() fails (EFBIG) as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
path = Path(sys.argv[1])
try:
    {write}
except WriteFailed as error:
    print(error)
"""


@pytest.mark.parametrize("write", ["append_whole(path, 'x' * 150 + '\\n')",
                                   "ExchangeLog(path).append_line('y' * 150 + '\\n')"])
def test_an_append_that_does_not_fit_is_cut_off_whole_and_names_the_file(tmp_path, write):
    path = tmp_path / "rows.txt"
    path.write_text("whole line\n")
    result = subprocess.run([sys.executable, "-c", FULL_DISK.format(write=write), str(path)], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(Path(fileio.__file__).parents[1])})
    assert result.stdout.startswith(f"cannot write {path}: File too large"), result
    assert path.read_text() == "whole line\n"  # what was there is kept; nothing of the half-written line
