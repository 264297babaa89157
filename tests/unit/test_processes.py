"""One liveness rule for pids: gone, zombie and reaped children count as stopped; running ones as running."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from localep.processes import process_alive


def test_a_running_process_is_alive():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_an_exited_unreaped_child_is_stopped_and_reap_collects_it():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process_alive(child.pid):
        time.sleep(0.02)
    assert not process_alive(child.pid)  # a zombie until reaped
    assert not process_alive(child.pid, reap=True)
    assert not os.path.exists(f"/proc/{child.pid}") or child.poll() is not None


def test_a_pid_nobody_has_is_stopped():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


def test_pid_one_is_alive_even_when_not_ours():
    assert process_alive(1)
