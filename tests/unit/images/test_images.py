"""build_images: independent deployments build side by side when there are cores to spare; a failure stops the rest.

ensure_image is replaced by a function that only waits: what is tested is the scheduling, not a build."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from localep.errors import BuildError
from localep.images.images import BuiltImage
from localep.images.kinds.base import INFERENCE_SERVER
from localep.images.layerbuild import BUILDS_CANCELLED, stop_if_cancelled
from localep.images.settings import BuildSettings
from localep.progress import Reporter
from localep.runtime import deploy


def project(*names):
    return SimpleNamespace(deployments=[SimpleNamespace(name=name) for name in names])


def test_two_deployments_build_at_the_same_time_on_four_cores(monkeypatch):
    running, peak, lock = [], [0], threading.Lock()

    def fake_ensure(client, deployment, settings, reporter):
        with lock:
            running.append(deployment.name)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.2)
        with lock:
            running.remove(deployment.name)
        return BuiltImage(tag=f"env:{deployment.name}", kind="pip", server=INFERENCE_SERVER, cached=False)

    monkeypatch.setattr(deploy, "ensure_image", fake_ensure)
    monkeypatch.setattr(deploy.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(deploy, "prune_reminder", lambda client, index: None)
    images = deploy.build_images(None, project("blue", "green"), deploy.UpOptions(build=BuildSettings()), Reporter())
    assert [image.tag for image in images] == ["env:blue", "env:green"], "results keep the deployments' order"
    assert peak[0] == 2


def test_a_failed_build_stops_the_others_at_their_next_line(monkeypatch):
    stopped, started = [], threading.Event()

    def fake_ensure(client, deployment, settings, reporter):
        if deployment.name == "broken":
            started.wait(5)
            raise BuildError("image build failed at layer 2/2")
        started.set()
        for _ in range(200):
            time.sleep(0.01)
            try:
                stop_if_cancelled()
            except BuildError:
                stopped.append(deployment.name)
                raise
        return BuiltImage(tag="env:slow", kind="pip", server=INFERENCE_SERVER, cached=False)

    monkeypatch.setattr(deploy, "ensure_image", fake_ensure)
    monkeypatch.setattr(deploy.os, "cpu_count", lambda: 4)
    with pytest.raises(BuildError, match="layer 2/2"):
        deploy.build_images(None, project("broken", "slow"), deploy.UpOptions(build=BuildSettings()), Reporter())
    assert stopped == ["slow"] and not BUILDS_CANCELLED.is_set()
