"""The one way localep writes files: a reader or a crash never sees half of one, and a private one is never readable
by another user, not even for a moment.

The temporary file has a unique name beside the target (so concurrent writers and a crash leave no clash), is
created 0600 by `mkstemp` (so a private file is never world-readable, not even for a moment), is flushed to disk
before the rename, and is removed again when anything fails. Private folders are made 0700 by their own mkdir and
private appended files 0600 by their own open: the mode is given at creation (the umask can only narrow it), never
widened first and narrowed later. Everything under $LOCALEP_HOME is private. Appends are whole or nothing
(`write_whole`): one that fails half way, on a full disk, is cut off again and raises WriteFailed naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Any, Union

from localep.errors import LocalepError

PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def _default_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets what `open()` would give it under the current umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Union[str, Path], data: Union[str, bytes], *, private: bool = False) -> None:
    """Replace `path` with `data` (text is written as UTF-8, line endings untouched); `private` makes it 0600."""
    path = Path(path)
    make_dirs(path.parent, private=private)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = PRIVATE_MODE if private else _default_mode(path)
    handle, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if mode != PRIVATE_MODE:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: Union[str, Path], value: Any, *, private: bool = False) -> None:
    """`value` as indented, key-sorted JSON with a final newline (stable diffs, easy to read)."""
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + "\n", private=private)


def make_dirs(path: Union[str, Path], *, private: bool = False) -> Path:
    """`mkdir -p`; `private`: each folder it creates is 0700 from its own mkdir (folders that exist are left alone)."""
    path = Path(path)
    if not private:
        path.mkdir(parents=True, exist_ok=True)
        return path
    missing = []
    folder = path
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR_MODE)
        except FileExistsError:
            pass  # made meanwhile by a concurrent command
    return path


def open_append(path: Union[str, Path], *, private: bool = False) -> IO[bytes]:
    """`path` opened for appending bytes (created if missing, its folders too); `private` creates it 0600."""
    path = Path(path)
    make_dirs(path.parent, private=private)
    handle = os.open(str(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_MODE if private else 0o666)
    return os.fdopen(handle, "ab")


class WriteFailed(LocalepError):
    """A file could not be written (a full disk, a quota): the message names the file and what the system said."""

    def __init__(self, path: Union[str, Path], error: OSError):
        super().__init__(f"cannot write {path}: {error.strerror or error}"
                         + (" (the disk is full)" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""))
        self.path = Path(path)


def write_whole(fd: int, data: bytes, path: Union[str, Path]) -> None:
    """Append all of `data` to the file open (O_APPEND) as `fd`, or none of it: a write that fails half way (a full
    disk) is cut off again, so the file never ends in half a line. The caller keeps other writers out meanwhile."""
    before = os.fstat(fd).st_size
    written = 0
    try:
        while written < len(data):  # os.write may write less than asked for
            written += os.write(fd, data[written:])
    except OSError as error:
        if written:
            os.ftruncate(fd, before)
        raise WriteFailed(path, error) from None


def append_whole(path: Union[str, Path], data: Union[str, bytes], *, private: bool = False) -> None:
    """`write_whole` on `path` (created if missing); WriteFailed names the path when it cannot be written."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        stream = open_append(path, private=private)
    except OSError as error:
        raise WriteFailed(path, error) from None
    with stream:
        write_whole(stream.fileno(), payload, path)


def write_once(path: Union[str, Path], data: str, *, private: bool = False) -> str:
    """Create `path` holding `data` unless it exists; either way return what it holds. Concurrent callers agree:
    the file appears complete (written beside it, then hard-linked into place, which fails if it exists)."""
    path = Path(path)
    make_dirs(path.parent, private=private)
    handle, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(data)
        if not private:
            os.chmod(temporary, _default_mode(path))
        os.link(temporary, path)
        return data
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    finally:
        os.unlink(temporary)
