"""Proxying upstream: hop-by-hop headers dropped, upstream URLs checked."""

from __future__ import annotations

import pytest

from localep.gateway.upstream import end_to_end, parse_upstream


def test_proxy_drops_hop_by_hop_and_framing_headers():
    headers = [("Connection", "keep-alive"), ("Content-Length", "3"), ("Host", "x"), ("X-Id", "1")]
    headers.append(("Authorization", "k"))
    assert end_to_end(headers, drop=("authorization",)) == [("X-Id", "1")]


def test_upstream_urls_must_be_http_with_a_port():
    assert parse_upstream("http://127.0.0.1:5001").port == 5001
    for bad in ("https://127.0.0.1:5001", "http://127.0.0.1"):
        with pytest.raises(ValueError, match="must look like"):
            parse_upstream(bad)

