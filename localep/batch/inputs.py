"""`--input`: a file, a folder (every file below it) or a glob -> the files a job scores, and how they are mounted.

The files are mounted read-only under one root in the container; run() gets their full container paths, as the
cloud gives full paths of its mounted data.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import List, Tuple

from localep.errors import LocalepError
from localep.exitcodes import ExitCode

INPUT_IN_CONTAINER = PurePosixPath("/mnt/batch/inputs/data")
GLOB_CHARACTERS = set("*?[")


class InputError(LocalepError):
    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class BatchInput:
    """`root` is mounted at `mount_target`; `files` lie below it, in a stable (sorted) order."""

    given: str
    root: Path
    files: Tuple[Path, ...]
    mount_target: PurePosixPath

    def container_path(self, file: Path) -> str:
        if file == self.root:
            return str(self.mount_target)
        return str(self.mount_target / file.relative_to(self.root).as_posix())


def _files_below(folder: Path) -> List[Path]:
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs.sort()
        found += [Path(parent) / name for name in sorted(names)]
    return [path for path in found if path.is_file()]


def resolve_input(given: str) -> BatchInput:
    path = Path(os.path.abspath(os.path.expanduser(given)))
    if path.is_file():
        return BatchInput(given, path, (path,), INPUT_IN_CONTAINER / path.name)
    if path.is_dir():
        files = _files_below(path)
        if not files:
            raise InputError(f"--input {given}: the folder holds no files")
        return BatchInput(given, path, tuple(files), INPUT_IN_CONTAINER)
    if GLOB_CHARACTERS & set(given):
        matches = sorted({Path(os.path.abspath(match)) for match in glob.glob(os.path.expanduser(given), recursive=True)})
        files = [match for match in matches if match.is_file()]
        if not files:
            raise InputError(f"--input {given}: the pattern matches no files")
        root = Path(os.path.commonpath([str(file.parent) for file in files]))
        return BatchInput(given, root, tuple(files), INPUT_IN_CONTAINER)
    raise InputError(f"--input {given}: no such file or folder")
