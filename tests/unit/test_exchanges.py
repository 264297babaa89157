from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import localep
from localep.exchanges import (
    REDACTED,
    Exchange,
    ExchangeLog,
    ReplayFileError,
    encode_body,
    read_exchanges,
    redact_headers,
    redact_target,
    utc_timestamp,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00"


def make_exchange(**overrides) -> Exchange:
    fields = dict(
        time="2024-05-01T12:00:00.000Z",
        method="POST",
        path="/score?verbose=1",
        request_headers={"Content-Type": "application/json"},
        request_body=b'{"data": [[1, 2]]}',
        status=200,
        response_headers={"Content-Type": "application/json"},
        response_body=b"[0.5]",
        latency_ms=12.5,
        deployment="blue",
    )
    fields.update(overrides)
    return Exchange(**fields)


def test_redact_headers_hides_credentials_and_keeps_the_rest():
    headers = {
        "Authorization": "Bearer abc",
        "Cookie": "session=1",
        "Set-Cookie": "session=2",
        "x-api-key": "k1",
        "Ocp-Apim-Subscription-Key": "k2",
        "X-Refresh-Token": "t",
        "X-Client-Secret": "s",
        "X-DB-Password": "p",
        "Content-Type": "application/json",
        "azureml-model-deployment": "blue",
        "Connection": "keep-alive",
    }
    redacted = redact_headers(headers)
    secret_names = list(headers)[:8]
    assert all(redacted[name] == REDACTED for name in secret_names)
    assert redacted["Content-Type"] == "application/json"
    assert redacted["azureml-model-deployment"] == "blue"
    assert redacted["Connection"] == "keep-alive"
    assert headers["Authorization"] == "Bearer abc"  # the input is not modified


def test_identity_and_credential_header_families_are_redacted():
    headers = {name: "s3cr3t" for name in ("X-Auth", "X-Auth-Token", "Authentication", "X-Credential",
                                           "X-Credential-Id", "X-Ms-Client-Principal", "X-MS-CLIENT-PRINCIPAL-NAME",
                                           "x-ms-client-principal-idp")}
    assert set(redact_headers(headers).values()) == {REDACTED}
    assert redact_headers({"X-Request-Id": "r1", "Accept": "*/*"}) == {"X-Request-Id": "r1", "Accept": "*/*"}


def test_secret_query_parameters_are_redacted_and_the_rest_kept_byte_for_byte():
    target = "/score?verbose=1&api-key=K1&key=K2&sig=S%2B1&token=T&code=C&access_token=A&Client_Secret=X&x=%20y"
    redacted = redact_target(target)
    assert redacted == (f"/score?verbose=1&api-key={REDACTED}&key={REDACTED}&sig={REDACTED}&token={REDACTED}"
                        f"&code={REDACTED}&access_token={REDACTED}&Client_Secret={REDACTED}&x=%20y")
    assert redact_target("/score") == "/score"
    assert redact_target("/score?flag&verbose=1") == "/score?flag&verbose=1"
    assert redact_target("/score?api%2Dkey=K") == f"/score?api%2Dkey={REDACTED}"


def test_secret_query_parameters_never_reach_the_line():
    line = make_exchange(path="/score?api-key=s3cr3t&sig=s3cr3t&n=2").to_json_line()
    assert "s3cr3t" not in line
    assert json.loads(line)["path"] == f"/score?api-key={REDACTED}&sig={REDACTED}&n=2"


def test_a_recording_is_created_owner_only_whatever_the_umask(tmp_path: Path):
    old = os.umask(0)
    try:
        ExchangeLog(tmp_path / "rec" / "traffic.jsonl").append(make_exchange())
    finally:
        os.umask(old)
    assert (tmp_path / "rec" / "traffic.jsonl").stat().st_mode & 0o777 == 0o600


def test_secret_values_never_reach_the_line():
    exchange = make_exchange(
        request_headers={"authorization": "Bearer s3cr3t-key", "Content-Type": "application/json"},
        response_headers={"Set-Cookie": "id=s3cr3t-cookie"},
    )
    line = exchange.to_json_line()
    assert "s3cr3t" not in line
    assert json.loads(line)["request"]["headers"]["authorization"] == REDACTED


def test_json_line_is_one_line_and_round_trips():
    exchange = make_exchange(request_body="température ☃\nline two".encode())
    line = exchange.to_json_line()
    assert line.endswith("\n") and line.count("\n") == 1
    assert Exchange.from_dict(json.loads(line)) == exchange


def test_binary_bodies_are_base64_and_round_trip_byte_for_byte():
    exchange = make_exchange(
        request_headers={"Content-Type": "image/png"},
        request_body=PNG_BYTES,
        response_headers={},
        response_body=bytes(range(256)),
    )
    data = json.loads(exchange.to_json_line())
    assert set(data["request"]["body"]) == {"base64"}
    assert set(data["response"]["body"]) == {"base64"}
    assert Exchange.from_dict(data) == exchange


def test_body_encoding_follows_content_type_and_decodability():
    assert encode_body(b'{"a": 1}', "application/json; charset=utf-8") == {"text": '{"a": 1}'}
    assert encode_body(b"hello", None) == {"text": "hello"}
    assert encode_body(b"a,b\n1,2\n", "text/csv") == {"text": "a,b\n1,2\n"}
    assert encode_body(b"hello", "application/octet-stream") == {"base64": "aGVsbG8="}
    assert "base64" in encode_body(b"\xff\xfe", "text/plain")


def test_utc_timestamp_is_iso_8601_utc_with_z():
    stamp = utc_timestamp()
    assert stamp.endswith("Z") and "T" in stamp and len(stamp) == len("2024-05-01T12:00:00.000Z")


def test_malformed_line_is_reported_with_file_and_line(tmp_path: Path):
    path = tmp_path / "traffic.jsonl"
    good = make_exchange().to_json_line()
    path.write_text(good + "\n" + '{"time": "x", "method": "POST"\n', encoding="utf-8")
    with pytest.raises(ReplayFileError) as caught:
        read_exchanges(path)
    assert caught.value.location.line == 3
    assert str(caught.value).startswith(f"{path}:3: ")


def test_wrong_field_type_names_the_field(tmp_path: Path):
    path = tmp_path / "traffic.jsonl"
    data = json.loads(make_exchange().to_json_line())
    data["response"]["status"] = "200"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(ReplayFileError, match=r"traffic.jsonl:1: .*response.status"):
        read_exchanges(path)


def test_missing_recording_names_the_file(tmp_path: Path):
    with pytest.raises(ReplayFileError, match=r"nope\.jsonl"):
        read_exchanges(tmp_path / "nope.jsonl")


def assert_every_line_intact(path: Path, count: int, body_size: int) -> None:
    """Each writer tags its lines; a torn or interleaved line fails to parse or carries a foreign body."""
    exchanges = read_exchanges(path)
    assert len(exchanges) == count
    assert len({exchange.path for exchange in exchanges}) == count
    for exchange in exchanges:
        tag = exchange.path.split("/")[2].ljust(8).encode()
        assert exchange.request_body == tag * (body_size // 8)


def test_concurrent_appends_from_threads_never_interleave(tmp_path: Path):
    path = tmp_path / "traffic.jsonl"
    log = ExchangeLog(path)
    writers, per_writer, body_size = 8, 50, 80_000  # lines far beyond PIPE_BUF and a single page

    def write(writer: int) -> None:
        for number in range(per_writer):
            tag = f"t{writer}:{number:04d}"[:8].ljust(8)
            log.append(
                make_exchange(
                    path=f"/t{writer}/{tag.strip()}",
                    request_body=tag.encode() * (body_size // 8),
                )
            )

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_every_line_intact(path, writers * per_writer, body_size)


WRITER_SCRIPT = """
import sys
from pathlib import Path
from localep.exchanges import Exchange, ExchangeLog

path, writer, count, size = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
log = ExchangeLog(path)
for number in range(count):
    tag = f"p{writer}:{number:04d}"[:8].ljust(8)
    log.append(Exchange("2024-05-01T12:00:00.000Z", "POST", f"/p{writer}/{tag.strip()}", {}, tag.encode() * (size // 8),
                        200, {}, b"ok", 1.0, None))
"""


def test_concurrent_appends_from_processes_never_interleave(tmp_path: Path):
    path = tmp_path / "traffic.jsonl"
    processes, per_process, body_size = 4, 40, 80_000
    env = dict(os.environ, PYTHONPATH=str(Path(localep.__file__).resolve().parent.parent))
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(path), str(writer), str(per_process), str(body_size)], env=env
        )
        for writer in range(processes)
    ]
    assert all(child.wait(timeout=60) == 0 for child in children)
    assert_every_line_intact(path, processes * per_process, body_size)
