"""Request head checks: the limits llhttp does not keep."""

from __future__ import annotations

import pytest

from localep.gateway.http1 import Limits, Rejection, allowed_hosts, check_head


def test_head_checks_keep_the_limits_llhttp_does_not():
    hosts = allowed_hosts(8080)
    target, headers, lookup = check_head(b"/score?x=1", [(b"Host", b"LOCALHOST:8080")], "1.1", Limits(), hosts)
    assert (target, headers, lookup) == ("/score?x=1", [("Host", "LOCALHOST:8080")], {"host": "LOCALHOST:8080"})
    rejected = [
        (b"/score", [(b"Host", b"evil.example:8080")]),
        (b"/score", []),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"Host", b"127.0.0.1:8080")]),
        (b"http://127.0.0.1:8080/score", [(b"Host", b"127.0.0.1:8080")]),
        (b"/sc\x01ore", [(b"Host", b"127.0.0.1:8080")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"X", b"a\rInjected: 1")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"Transfer-Encoding", b"chunked, identity")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080")] + [(b"X", b"y")] * 100),
    ]
    for raw_target, raw_headers in rejected:
        with pytest.raises(Rejection) as error:
            check_head(raw_target, raw_headers, "1.1", Limits(), hosts)
        assert error.value.status == 400
    assert check_head(b"/", [], "1.0", Limits(), hosts)[0] == "/"  # HTTP/1.0 may omit Host
    assert check_head(b"/", [(b"Host", b"anything")], "1.1", Limits(), None)[0] == "/"  # the control socket

