"""The event line, the rolled folders and the writer: what the cloud's modelDataCollector blobs look like."""

from __future__ import annotations

import json
import os
import threading

import pytest
from datacollect_fixtures import MOMENT, package_headers

from localep.datacollect.events import (
    CollectionWriter,
    collection_of,
    collector_event,
    content_range,
    payload_event,
    period_folder,
)

FIELDS = ["specversion", "id", "source", "type", "datacontenttype", "time", "data", "correlationid", "xrequestid",
          "modelversion", "collectdatatype", "agent", "contentrange"]


def test_a_collector_event_has_the_cloud_fields_in_order():
    body = b'[{"a":1,"b":"x"},{"a":2,"b":"y"}]'
    event = collector_event(package_headers(), body, "/src", MOMENT + 5)
    assert list(event) == FIELDS
    assert event["id"] == "payload-id" and event["type"] == "azureml.inference.model_inputs"
    assert event["time"] == "2024-03-07T13:45:12Z"
    assert event["data"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert event["correlationid"] == event["xrequestid"] == "corr-1"
    assert event["contentrange"] == f"bytes 0-{len(body) - 1}/{len(body)}"
    assert (event["collectdatatype"], event["agent"]) == ("pandas.core.frame.DataFrame", "azureml-ai-monitoring/1.0.0")


def test_payload_events_keep_text_and_binary_bodies():
    text = payload_event("request", b"plain words", "text/plain", "rid", "/src", MOMENT)
    assert (text["data"], text["datacontenttype"], text["xrequestid"]) == ("plain words", "text/plain", "rid")
    binary = payload_event("response", b"\xff\x00", "application/octet-stream", "rid", "/src", MOMENT)
    assert binary["data"] == "/wA=" and binary["type"] == "azureml.inference.response"
    assert list(text)[:len(FIELDS)] == FIELDS
    assert content_range(0) == "bytes 0-0/0"


@pytest.mark.parametrize("rate, folder", [
    ("minute", "2024/03/07/13/45"), ("hour", "2024/03/07/13"), ("day", "2024/03/07"), ("month", "2024/03"),
    ("year", "2024"),
])
def test_rolling_folders_are_utc_periods(rate, folder):
    assert period_folder(MOMENT, rate) == folder


def test_collection_of_the_event_type():
    assert collection_of("azureml.inference.model_outputs") == "model_outputs"


def test_the_writer_rolls_files_by_period_and_keeps_them_private(tmp_path):
    writer = CollectionWriter(str(tmp_path / "c"), "instance-a", "hour")
    assert writer.write({"n": 1}, MOMENT)
    assert writer.write({"n": 2}, MOMENT + 60)
    assert writer.write({"n": 3}, MOMENT + 3600)
    writer.close()
    first = tmp_path / "c/2024/03/07/13/instance-a.jsonl"
    second = tmp_path / "c/2024/03/07/14/instance-a.jsonl"
    assert [json.loads(line)["n"] for line in first.read_text().splitlines()] == [1, 2]
    assert [json.loads(line)["n"] for line in second.read_text().splitlines()] == [3]
    assert first.stat().st_mode & 0o777 == 0o600
    assert all((tmp_path / "c" / p).stat().st_mode & 0o777 == 0o700 for p in ("", "2024", "2024/03/07/13"))


def test_two_writers_never_share_a_file(tmp_path):
    writers = [CollectionWriter(str(tmp_path), name, "hour") for name in ("one", "two")]
    threads = [threading.Thread(target=lambda w=w: [w.write({"who": w.writer, "i": i}) for i in range(200)])
               for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()
    for path in tmp_path.rglob("*.jsonl"):
        events = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(events) == 200 and {e["who"] for e in events} == {path.stem}


def test_a_busy_file_drops_and_counts_instead_of_waiting(tmp_path):
    writer = CollectionWriter(str(tmp_path), "w", "hour", wait_s=0.05)
    with writer._lock:  # another write that the disk holds up
        assert writer.write({"n": 1}) is False
    assert (writer.dropped, writer.written) == (1, 0)
    assert writer.write({"n": 2}) and writer.written == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_files_a_root_container_writes_belong_to_the_host_user(tmp_path):
    writer = CollectionWriter(str(tmp_path / "c"), "w", "hour", owner=(12345, 23456))
    assert writer.write({"n": 1}, MOMENT)
    writer.close()
    written = tmp_path / "c/2024/03/07/13/w.jsonl"
    for path in (written, written.parent, tmp_path / "c" / "2024", tmp_path / "c"):
        assert (path.stat().st_uid, path.stat().st_gid) == (12345, 23456), path
