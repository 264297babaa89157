"""Content-addressed image tags: same base image, environment files and localep version -> same tag, no rebuild.

Code and model are mounted at run time, so they are deliberately not part of the key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator, Optional, Tuple

from localep import __version__
from localep.images.layers import installer_fingerprint
from localep.images.settings import DEFAULT_INSTALLER
from localep.images.templates import all_templates
from localep.yamlspec.model import Environment

IMAGE_REPOSITORY = "localep/env"
SKIPPED_CONTEXT_DIRS = {".git", "__pycache__", ".venv", "node_modules"}


def environment_key(env: Environment, base_image_id: Optional[str], installer: str = DEFAULT_INSTALLER) -> str:
    """The installer counts only where localep installs packages (a conda file), so other kinds keep their tag."""
    digest = hashlib.sha256()

    def add(label: str, value: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(value).digest())

    add("localep", __version__.encode())
    for name, text in all_templates().items():
        add("template:" + name, text.encode())
    add("image", (env.image or "").encode())
    add("base-id", (base_image_id or "").encode())
    if env.conda_file is not None:
        add("conda", env.conda_file.read_bytes())
        add("installer", installer_fingerprint(installer).encode())
    if env.inference_config is not None:
        add("inference_config", repr(env.inference_config).encode())
    if env.build is not None:
        add("dockerfile", env.build.dockerfile_path.encode())
        for relative, content in context_files(env.build.path):
            add("context:" + relative, content)
    return digest.hexdigest()


def context_files(root: Path) -> Iterator[Tuple[str, bytes]]:
    """Every file of a Docker build context in a stable order (the daemon sees the same bytes)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_CONTEXT_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            yield path.relative_to(root).as_posix(), path.read_bytes()


def image_tag(key: str) -> str:
    return f"{IMAGE_REPOSITORY}:{key[:20]}"
