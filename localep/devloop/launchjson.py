"""Keep one debugpy attach entry per deployment in `.vscode/launch.json` without disturbing the rest.

launch.json is JSONC (comments, trailing commas) and users hand-edit it, so a load/dump round trip would
destroy their comments and layout. Instead a small tokenizer finds where each value starts and ends, and
the merge splices new text into the original: everything outside the managed entry stays byte-identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from localep.errors import LocalepError, Location
from localep.fileio import atomic_write

LAUNCH_VERSION = "0.2.0"
DEFAULT_INDENT = "    "
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_LITERAL_CHARS = re.compile(r"[A-Za-z0-9+\-.]+")
_WHITESPACE = " \t\r\n\ufeff"


def attach_configuration(
    endpoint: str,
    deployment: str,
    port: int,
    local_root: Path,
    remote_root: str,
    workspace: Path,
    just_my_code: bool,
) -> Dict[str, Any]:
    """The debugpy attach entry for one deployment; the code folder is workspace-relative when it can be,
    so the file stays valid when the repository is cloned elsewhere."""
    return {
        "name": f"localep: attach {endpoint}/{deployment}",
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": "127.0.0.1", "port": port},
        "pathMappings": [{"localRoot": _portable_local_root(local_root, workspace), "remoteRoot": remote_root}],
        "subProcess": True,
        "justMyCode": just_my_code,
    }


def _portable_local_root(local_root: Path, workspace: Path) -> str:
    code = local_root.resolve()
    try:
        relative = code.relative_to(workspace.resolve())
    except ValueError:
        return str(code)
    return "${workspaceFolder}" if relative == Path(".") else "${workspaceFolder}/" + relative.as_posix()


def write_attach_configuration(workspace: Path, config: Dict[str, Any]) -> Path:
    """Merge `config` into `<workspace>/.vscode/launch.json`, creating it if needed; untouched when unchanged."""
    path = workspace / ".vscode" / "launch.json"
    original = _read_exactly(path) if path.exists() else ""
    merged = merge_configuration(original, config, path)
    if merged != original:
        atomic_write(path, merged)
    return path


def _read_exactly(path: Path) -> str:
    """The file's text with its line endings untouched, so CRLF files stay CRLF."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise LocalepError(f"launch.json is not UTF-8 text ({error.reason})", Location(path)) from None


def merge_configuration(text: str, config: Dict[str, Any], source: Path) -> str:
    """Return `text` with the configuration named `config["name"]` replaced, or appended if absent."""
    tokens = [token for token in _tokenize(text, source) if token.kind != "comment"]
    newline = "\r\n" if "\r\n" in text else "\n"
    if not tokens:
        separator = newline if text.strip(_WHITESPACE) else ""
        fresh = {"version": LAUNCH_VERSION, "configurations": [config]}
        return text.rstrip(_WHITESPACE) + separator + _render(fresh, "", DEFAULT_INDENT, newline) + newline

    root = _Parser(tokens, text, source).document()
    if not isinstance(root, _Object):
        raise _error("launch.json must hold one object at the top level", source, text, root.start)
    indent = _indent_unit(text, root)
    configurations = root.get("configurations")
    if configurations is None:
        return _add_configurations_member(text, root, config, indent, newline)
    if not isinstance(configurations, _Array):
        raise _error('"configurations" must be an array', source, text, configurations.start)
    for item in configurations.items:
        if isinstance(item, _Object) and _string_value(item.get("name")) == config["name"]:
            rendered = _render(config, _line_indent(text, item.start), indent, newline)
            return text[: item.start] + rendered + text[item.end :]
    return _append_item(text, configurations, config, indent, newline)


@dataclass(frozen=True)
class _Token:
    kind: str  # "punct", "string", "literal" or "comment"
    start: int
    end: int


def _tokenize(text: str, source: Path) -> List[_Token]:
    """Split JSONC into tokens with offsets; whitespace is dropped, comments are kept as tokens."""
    tokens: List[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in _WHITESPACE:
            position += 1
        elif char in "{}[]:,":
            tokens.append(_Token("punct", position, position + 1))
            position += 1
        elif char == '"':
            end = _string_end(text, position, source)
            _decode_string(text[position:end], source, text, position)
            tokens.append(_Token("string", position, end))
            position = end
        elif text.startswith("//", position):
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            tokens.append(_Token("comment", position, end))
            position = end
        elif text.startswith("/*", position):
            end = text.find("*/", position + 2)
            if end < 0:
                raise _error("unterminated /* comment", source, text, position)
            tokens.append(_Token("comment", position, end + 2))
            position = end + 2
        else:
            match = _LITERAL_CHARS.match(text, position)
            word = match.group(0) if match else char
            if word not in ("true", "false", "null") and not _NUMBER.match(word):
                raise _error(f"unexpected {word!r}", source, text, position)
            tokens.append(_Token("literal", position, position + len(word)))
            position += len(word)
    return tokens


def _string_end(text: str, start: int, source: Path) -> int:
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
        elif char == '"':
            return position + 1
        elif char == "\n":
            break
        else:
            position += 1
    raise _error("unterminated string", source, text, start)


@dataclass
class _Scalar:
    start: int
    end: int
    text: str


@dataclass
class _Array:
    start: int
    end: int
    items: List[_Value] = field(default_factory=list)
    trailing_comma: Optional[int] = None


@dataclass
class _Member:
    key: str
    key_start: int
    value: _Value


@dataclass
class _Object:
    start: int
    end: int
    members: List[_Member] = field(default_factory=list)
    trailing_comma: Optional[int] = None

    def get(self, key: str) -> Optional[_Value]:
        return next((member.value for member in self.members if member.key == key), None)


_Value = Union[_Scalar, _Array, _Object]


class _Parser:
    """Recursive descent over comment-free tokens, recording where every value starts and ends."""

    def __init__(self, tokens: List[_Token], text: str, source: Path):
        self.tokens = tokens
        self.text = text
        self.source = source
        self.index = 0

    def document(self) -> _Value:
        value = self.value()
        if self.index < len(self.tokens):
            raise self.unexpected(self.tokens[self.index], "end of file")
        return value

    def value(self) -> _Value:
        token = self.next("a value")
        lexeme = self.lexeme(token)
        if lexeme == "{":
            return self.object(token)
        if lexeme == "[":
            return self.array(token)
        if token.kind in ("string", "literal"):
            return _Scalar(token.start, token.end, lexeme)
        raise self.unexpected(token, "a value")

    def object(self, opening: _Token) -> _Object:
        node = _Object(opening.start, opening.end)
        while True:
            token = self.next('a key or "}"')
            if self.lexeme(token) == "}":
                node.end = token.end
                return node
            if token.kind != "string":
                raise self.unexpected(token, 'a key or "}"')
            key = json.loads(self.lexeme(token))
            colon = self.next('":"')
            if self.lexeme(colon) != ":":
                raise self.unexpected(colon, '":"')
            node.members.append(_Member(key, token.start, self.value()))
            node.trailing_comma = self.separator(node, "}")

    def array(self, opening: _Token) -> _Array:
        node = _Array(opening.start, opening.end)
        while True:
            if self.peek() == "]":
                node.end = self.next('"]"').end
                return node
            node.items.append(self.value())
            node.trailing_comma = self.separator(node, "]")

    def separator(self, node: Union[_Array, _Object], closing: str) -> Optional[int]:
        """Consume "," (returning its offset) or stop before the closing bracket; anything else is an error."""
        token = self.next(f'"," or "{closing}"')
        lexeme = self.lexeme(token)
        if lexeme == ",":
            return token.start
        if lexeme == closing:
            self.index -= 1
            return None
        raise self.unexpected(token, f'"," or "{closing}"')

    def peek(self) -> Optional[str]:
        return self.lexeme(self.tokens[self.index]) if self.index < len(self.tokens) else None

    def next(self, expected: str) -> _Token:
        if self.index >= len(self.tokens):
            raise _error(f"unexpected end of file, expected {expected}", self.source, self.text, len(self.text))
        token = self.tokens[self.index]
        self.index += 1
        return token

    def lexeme(self, token: _Token) -> str:
        return self.text[token.start : token.end]

    def unexpected(self, token: _Token, expected: str) -> LocalepError:
        return _error(f"unexpected {self.lexeme(token)!r}, expected {expected}", self.source, self.text, token.start)


def _decode_string(lexeme: str, source: Path, text: str, offset: int) -> str:
    try:
        return json.loads(lexeme)
    except ValueError as error:
        raise _error(f"invalid string {lexeme}: {error.args[0]}", source, text, offset) from None


def _string_value(node: Optional[_Value]) -> Optional[str]:
    if isinstance(node, _Scalar) and node.text.startswith('"'):
        return json.loads(node.text)
    return None


def _error(message: str, source: Path, text: str, offset: int) -> LocalepError:
    line = text.count("\n", 0, offset) + 1
    return LocalepError(f"invalid launch.json: {message}", Location(source, line))


def _line_indent(text: str, offset: int) -> str:
    """The whitespace that begins the line holding `offset`."""
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _starts_line(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return not text[line_start:offset].strip(" \t")


def _indent_unit(text: str, root: _Object) -> str:
    """The file's own indentation step, read from the first top-level member; four spaces if it has none."""
    if root.members and _starts_line(text, root.members[0].key_start):
        step = _line_indent(text, root.members[0].key_start)[len(_line_indent(text, root.start)) :]
        if step:
            return step
    return DEFAULT_INDENT


def _render(value: Any, first_indent: str, indent: str, newline: str) -> str:
    """JSON for `value` whose continuation lines sit under `first_indent`."""
    lines = json.dumps(value, indent=indent, ensure_ascii=False).split("\n")
    return (newline + first_indent).join(lines)


def _content_end(text: str, start: int, stop: int) -> int:
    """Offset just past the last non-whitespace character in text[start:stop] (comments included)."""
    return start + len(text[start:stop].rstrip(_WHITESPACE))


def _insert_before_closing(
    text: str, container: Union[_Array, _Object], last_end: Optional[int], new_text: str, child_indent: str, newline: str
) -> str:
    """Insert `new_text` as the last child of `container`, after any comments, adding the comma it needs."""
    closing = container.end - 1
    insert_at = _content_end(text, container.start + 1, closing)
    closing_indent = _line_indent(text, container.start)
    pieces = [newline, child_indent, new_text]
    if not _starts_line(text, closing):
        pieces += [newline, closing_indent]
    result = text[:insert_at] + "".join(pieces) + text[insert_at:]
    if last_end is not None and container.trailing_comma is None:
        result = result[:last_end] + "," + result[last_end:]
    return result


def _append_item(text: str, array: _Array, config: Dict[str, Any], indent: str, newline: str) -> str:
    if array.items and _starts_line(text, array.items[0].start):
        item_indent = _line_indent(text, array.items[0].start)
    else:
        item_indent = _line_indent(text, array.start) + indent
    last_end = array.items[-1].end if array.items else None
    rendered = _render(config, item_indent, indent, newline)
    return _insert_before_closing(text, array, last_end, rendered, item_indent, newline)


def _add_configurations_member(text: str, root: _Object, config: Dict[str, Any], indent: str, newline: str) -> str:
    member_indent = _line_indent(text, root.start) + indent
    member = '"configurations": ' + _render([config], member_indent, indent, newline)
    last_end = root.members[-1].value.end if root.members else None
    return _insert_before_closing(text, root, last_end, member, member_indent, newline)
