"""Reading Python tracebacks out of an inference server's output: what broke it, and where in the user's code.

Standard library only: the in-container agent (which names the error in its 503) loads it from beside itself,
and the host (`up` explaining a container that exited, the dev loop) imports it as localep.runtime.agent.tracebacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

TRACEBACK_HEADER = "Traceback (most recent call last):"
DIRECT_CAUSE = "The above exception was the direct cause of the following exception:"
DURING_HANDLING = "During handling of the above exception, another exception occurred:"
FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+)')
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")
PYTHON_INSTALLATION = re.compile(r"^<|[/\\](site|dist)-packages[/\\]|[/\\]lib[/\\]python\d+(\.\d+)?[/\\]")


@dataclass(frozen=True)
class Failure:
    """Why the server is down: the root exception line, and its innermost frame in the user's code."""

    detail: str
    location: Optional[str] = None


@dataclass
class TracebackBlock:
    """One `Traceback (most recent call last):` in the output, by line index."""

    start: int
    end: Optional[int] = None  # the exception line; None while the traceback is cut off
    connector: Optional[str] = None  # the chaining sentence that follows it, when the next traceback continues it
    location: Optional[str] = None  # innermost `file:line` outside the Python installation
    exception: Optional[str] = None

    @property
    def caused_the_next(self) -> bool:
        return self.connector == DIRECT_CAUSE


def traceback_blocks(lines: Sequence[str]) -> List[TracebackBlock]:
    """Split output into tracebacks: each with its innermost frame in the user's code (not in the Python
    installation: stdlib, site-packages, frozen modules), its exception line, and how it chains to the next."""
    blocks: List[TracebackBlock] = []
    previous = ""
    for index, line in enumerate(lines):
        text = line.rstrip()
        if text.endswith(TRACEBACK_HEADER):
            if blocks and previous in (DIRECT_CAUSE, DURING_HANDLING):
                blocks[-1].connector = previous
            blocks.append(TracebackBlock(index))
        elif blocks and blocks[-1].exception is None:
            _read_frame_or_exception(blocks[-1], index, text)
        if text.strip():
            previous = text.strip()
    return blocks


def _read_frame_or_exception(block: TracebackBlock, index: int, text: str) -> None:
    frame = FRAME.match(text)
    if frame:
        if not PYTHON_INSTALLATION.search(frame.group("file")):
            block.location = f"{frame.group('file')}:{frame.group('line')}"
    elif EXCEPTION_LINE.match(text):
        block.exception, block.end = text, index


def describe_failure(lines: Sequence[str]) -> Failure:
    """Name the exception that broke the server.

    Takes the root of the last `raise ... from ...` chain, because the server wraps the user's error
    (`SyntaxError: ...`) in its own generic one (`UserScriptImportException: Failed to import user script`).
    """
    blocks = [block for block in traceback_blocks(lines) if block.exception is not None]
    if not blocks:
        return Failure(detail=next((line.strip() for line in reversed(lines) if line.strip()), ""))
    index = len(blocks) - 1
    while index > 0 and blocks[index - 1].caused_the_next:
        index -= 1
    root = blocks[index]
    return Failure(detail=root.exception or "", location=root.location)


def extract_traceback(lines: Sequence[str]) -> str:
    """The last Python traceback in a log, with the tracebacks chained before it, through its exception line."""
    blocks = traceback_blocks(lines)
    if not blocks:
        return ""
    first = len(blocks) - 1
    while first > 0 and blocks[first - 1].connector is not None:
        first -= 1
    head = lines[blocks[first].start]
    last = blocks[-1].end
    body = lines[blocks[first].start + 1:len(lines) if last is None else last + 1]
    return "\n".join([head[head.index("Traceback"):], *body])


def script_line(traceback: str, script_name: str) -> Optional[int]:
    """The innermost line of the scoring script in a traceback (a SyntaxError names it as `File "...", line N`)."""
    found = re.findall(r'File "[^"]*/' + re.escape(script_name) + r'", line (\d+)', traceback)
    return int(found[-1]) if found else None
