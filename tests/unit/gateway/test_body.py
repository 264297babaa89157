"""Request bodies: small ones stay in memory, large ones move to an unnamed private file that goes with its last holder."""

from __future__ import annotations

import os
import stat

from localep.gateway.body import Body


def test_a_small_body_stays_in_memory():
    body = Body(spool_at=10)
    body.append(b"abc")
    body.append(b"def")
    assert body.file is None and body.in_memory() == b"abcdef" and body.read() == b"abcdef" and body.size == 6


def test_a_large_body_moves_to_an_unnamed_owner_only_file_and_is_gone_with_its_last_holder():
    body = Body(spool_at=4)
    for piece in (b"ab", b"cd", b"ef", b"gh"):
        body.append(piece)
    spooled = body.file
    assert spooled is not None and body.size == 8 and body.read() == b"abcdefgh"
    info = os.fstat(spooled.fileno())
    assert info.st_nlink == 0 and stat.S_IMODE(info.st_mode) & 0o077 == 0
    body.retain()  # a mirror copy still sending it
    body.release()
    assert not spooled.closed
    body.release()
    assert spooled.closed
