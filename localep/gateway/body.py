"""A request body as it arrives: in memory while small, past `SPOOL_AT` in an unnamed temporary file.

Large uploads must not grow the gateway: a 90 MB body held as bytes (and joined, and copied into the upstream
request) leaves the allocator holding hundreds of MB after it is freed. Spooled, the body never sits in the
process's memory: chunks go to the file as llhttp hands them over and reach the deployment by `sendfile`.
The file is unnamed (O_TMPFILE where available, else unlinked at once) and 0600, so no other user can open it,
and it is gone when the last holder (the request, a mirror copy) releases it.
"""

from __future__ import annotations

import tempfile
from typing import IO, List, Optional

SPOOL_AT = 1 << 20  # bytes kept in memory before the body moves to a file


class Body:
    def __init__(self, spool_at: int = SPOOL_AT) -> None:
        self.size = 0
        self._spool_at = spool_at
        self._chunks: List[bytes] = []
        self._joined: Optional[bytes] = None
        self._file: Optional[IO[bytes]] = None
        self._holders = 1

    @classmethod
    def of(cls, data: bytes) -> Body:
        body = cls(spool_at=len(data) + 1)
        body.append(data)
        return body

    def append(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is not None:
            self._file.write(data)
            return
        self._chunks.append(data)
        if self.size > self._spool_at:
            self._file = tempfile.TemporaryFile(prefix="localep-body-")
            self._file.write(b"".join(self._chunks))
            self._chunks = []

    @property
    def file(self) -> Optional[IO[bytes]]:
        """The spooled file (flushed, to be sent from offset 0), or None while the body is in memory."""
        if self._file is not None:
            self._file.flush()
        return self._file

    def in_memory(self) -> bytes:
        """The body when it was not spooled (b"" once it was)."""
        if self._joined is None:
            self._joined = b"".join(self._chunks) if self._file is None else b""
            self._chunks = [self._joined]
        return self._joined

    def read(self) -> bytes:
        """The whole body as bytes: for the control API and recordings, never on the scoring path."""
        if self._file is None:
            return self.in_memory()
        self._file.flush()
        self._file.seek(0)
        return self._file.read()

    def retain(self) -> Body:
        self._holders += 1
        return self

    def release(self) -> None:
        self._holders -= 1
        if self._holders <= 0 and self._file is not None:
            self._file.close()
            self._file = None
            self._chunks = []
