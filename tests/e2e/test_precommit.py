"""This repository's pre-commit hooks, installed by pre-commit itself, in a user's repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "numpy-regression"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "user-repo"
    shutil.copytree(EXAMPLE, repo / "deploy")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    return repo


def try_repo(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "localep-validate", *args],
                          cwd=repo, env=env, capture_output=True, timeout=600)


def test_validate_hook_passes_good_files_and_names_file_and_line_of_a_bad_one(user_repo, tmp_path):
    home = tmp_path / "pre-commit-home"
    good = try_repo(user_repo, home, "--all-files")
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    assert "Passed" in good.stdout.decode()

    deployment = user_repo / "deploy" / "blue-deployment.yml"
    deployment.write_text(deployment.read_text().replace("instance_count: 1", "instance_cuont: 1"))
    git(user_repo, "add", ".")
    bad = try_repo(user_repo, home, "--files", "deploy/blue-deployment.yml")
    output = bad.stdout.decode()
    assert bad.returncode == 1, output
    line = next(i for i, text in enumerate(deployment.read_text().splitlines(), 1) if "instance_cuont" in text)
    assert f"blue-deployment.yml:{line}:" in output and "instance_count" in output, output
