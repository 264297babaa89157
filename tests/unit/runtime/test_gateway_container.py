"""The gateway container's pieces that need no engine: its mounts, the `ps` wording of how long it has been
missing, and the relay that copies a container's recording on to a file it cannot reach."""

from __future__ import annotations

import datetime
from pathlib import Path

import localep
from localep.runtime import gateway_container
from localep.runtime.gateway_link import RecordingRelay, _seconds_since


def test_the_container_mounts_the_package_read_only_and_the_endpoint_folder_and_recording_folder(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/private.sock")
    mounts = gateway_container._mounts(tmp_path / "endpoints" / "e", str(tmp_path / "rec" / "traffic.jsonl"))
    package = str(Path(localep.__file__).resolve().parent)
    assert mounts[package] == {"bind": package, "mode": "ro"}
    assert mounts[str(tmp_path / "endpoints" / "e")]["mode"] == "rw"
    assert mounts[str(tmp_path / "rec")]["mode"] == "rw"
    assert mounts["/run/private.sock"]["bind"] == "/var/run/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2376")
    assert gateway_container.engine_socket() is None


def test_how_long_is_said_in_seconds_from_dockers_own_timestamps():
    ten_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=10)
    assert _seconds_since(ten_ago.strftime("%Y-%m-%dT%H:%M:%S.123456789Z")) in ("10s", "11s")
    assert _seconds_since("0001-01-01T00:00:00Z").endswith("s")
    assert _seconds_since("garbage") == "a while"


def test_the_relay_copies_whole_lines_once(tmp_path):
    staging, target = tmp_path / "staging.jsonl", tmp_path / "out" / "traffic.jsonl"
    relay = RecordingRelay(staging, target)
    relay.copy()  # nothing recorded yet
    assert not target.exists()
    staging.write_bytes(b'{"a": 1}\n{"b": ')
    relay.copy()
    assert target.read_bytes() == b'{"a": 1}\n'
    with staging.open("ab") as stream:
        stream.write(b'2}\n')
    relay.copy()
    relay.copy()
    assert target.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
