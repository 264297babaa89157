"""The `az` shim the az script tests run under: an `az` first on PATH that runs `localep az "$@"`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

SCRIPTS = Path(__file__).resolve().parent / "az_scripts"


def shim_env(tmp_path: Path, cli_env: Dict[str, str], **extra: str) -> Dict[str, str]:
    shim = tmp_path / "shim"
    shim.mkdir()
    az = shim / "az"
    az.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m localep az "$@"\n')
    az.chmod(0o755)
    return dict(cli_env, PATH=f"{shim}{os.pathsep}{cli_env['PATH']}", **extra)


def run_script(name: str, folder: Path, env: Dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """One of az_scripts/, run as a user would run it, from the project folder."""
    return subprocess.run(["bash", str(SCRIPTS / name)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=timeout)


def az(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["az", *args], env=env, capture_output=True, text=True, timeout=300)


def json_documents(text: str) -> List[dict]:
    """The JSON documents az printed one after another (each starts with a line "{" and ends with "}")."""
    return [json.loads(block + "}") for block in re.findall(r"^\{\n.*?\n(?=\}$)", text, flags=re.S | re.M)]
