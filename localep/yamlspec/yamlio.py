"""YAML reading that remembers where every key was written, and `--set` overrides applied on top.

PyYAML's plain loaders drop positions, yet every message localep prints should name file:line.
So the document is built from the composed node tree: values as SafeLoader would give them, plus
the line of each dotted key and the text of each scalar exactly as written (so `VERSION: 1.10`
stays "1.10" when it becomes an environment variable, instead of the float 1.1).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import yaml

from localep.errors import Location, SpecError
from localep.yamlspec.diagnostics import ERROR, WARNING, Diagnostic
from localep.yamlspec.model import locate


@dataclass
class Document:
    """One YAML file as data, with positions; `overrides` maps dotted keys to the `--set` that changed them."""

    file: Path
    data: Dict[str, Any]
    lines: Dict[str, int] = field(default_factory=dict)
    texts: Dict[str, str] = field(default_factory=dict)
    overrides: Dict[str, str] = field(default_factory=dict)
    problems: List[Diagnostic] = field(default_factory=list)

    def location(self, dotted_key: str = "") -> Location:
        return locate(self.file, self.lines, dotted_key)

    def diagnostic(self, dotted_key: str, message: str, severity: str = ERROR) -> Diagnostic:
        """A problem at `dotted_key`; if a `--set` touched that key, the message says which one."""
        related = [
            f"--set {text}"
            for key, text in self.overrides.items()
            if dotted_key
            and (key == dotted_key or dotted_key.startswith(key + ".") or key.startswith(dotted_key + "."))
        ]
        suffix = f" ({', '.join(related)})" if related else ""
        return Diagnostic(self.location(dotted_key), severity, message + suffix)

    def text(self, dotted_key: str, value: Any) -> str:
        """The scalar at `dotted_key` as the user wrote it (YAML would turn 1.10 into 1.1)."""
        if value is None:
            return ""
        return self.texts.get(dotted_key, str(value))


def join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def read_document(path: Path) -> Document:
    """Parse one YAML file whose top level is a mapping; syntax errors become SpecError at the parser's line."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError("not a UTF-8 text file", Location(path)) from None
    except OSError as error:
        raise SpecError(f"cannot read the file: {error.strerror}", Location(path)) from None
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", Location(path))
        builder = _NodeReader(loader, path)
        data = builder.value(node, "")
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise SpecError(f"invalid YAML: {_yaml_problem(error)}", Location(path, mark.line + 1 if mark else None)) from None
    except yaml.YAMLError as error:
        raise SpecError(f"invalid YAML: {error}", Location(path)) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise SpecError(
            f"expected a mapping of fields (key: value) at the top level, found {describe(data)}",
            Location(path, node.start_mark.line + 1),
        )
    return Document(path, data, builder.lines, builder.texts, problems=builder.problems)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    parts = [part for part in (error.context, error.problem) if part]
    return ", ".join(parts) if parts else str(error)


class _NodeReader:
    """Turns composed nodes into plain data while recording key lines and scalar texts."""

    def __init__(self, loader: yaml.SafeLoader, file: Path):
        self.loader = loader
        self.file = file
        self.lines: Dict[str, int] = {}
        self.texts: Dict[str, str] = {}
        self.problems: List[Diagnostic] = []
        self._open: Set[int] = set()

    def value(self, node: yaml.Node, path: str) -> Any:
        if id(node) in self._open:
            raise SpecError("recursive YAML alias", Location(self.file, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            self._open.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self._open.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._open.add(id(node))
            try:
                items = []
                for index, item in enumerate(node.value):
                    item_path = join(path, str(index))
                    self.lines.setdefault(item_path, item.start_mark.line + 1)
                    items.append(self.value(item, item_path))
                return items
            finally:
                self._open.discard(id(node))
        if path:
            self.texts[path] = node.value
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: str) -> Dict[str, Any]:
        self._warn_duplicates(node, path)
        self.loader.flatten_mapping(node)
        result: Dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a mapping key must be a plain value", Location(self.file, key_node.start_mark.line + 1))
            key = str(key_node.value)
            key_path = join(path, key)
            self.lines[key_path] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, key_path)
        return result

    def _warn_duplicates(self, node: yaml.MappingNode, path: str) -> None:
        seen: Dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                self.problems.append(
                    Diagnostic(
                        Location(self.file, line),
                        WARNING,
                        f"'{join(path, key_node.value)}' is written twice (first on line {seen[key_node.value]}); "
                        "YAML keeps only this one",
                    )
                )
            seen[key_node.value] = line


def describe(value: Any) -> str:
    """How a value reads in an error message: its kind, and the value itself when it is short."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value}"


def apply_overrides(document: Document, overrides: Sequence[str]) -> Tuple[Document, List[Diagnostic]]:
    """Apply `az ml`-style `--set a.b=value` overrides to a copy of the document's raw mapping."""
    result = Document(
        document.file,
        copy.deepcopy(document.data),
        dict(document.lines),
        dict(document.texts),
        dict(document.overrides),
        list(document.problems),
    )
    problems: List[Diagnostic] = []
    for override in overrides:
        problem = _apply_override(result, override)
        if problem:
            problems.append(Diagnostic(Location(document.file), ERROR, f"{problem} (--set {override})"))
    return result, problems


OVERRIDE_PATH_PART = re.compile(r"^([^.\[\]]+)((?:\[\d+\])*)$")


def override_path(dotted_key: str) -> Optional[List[Union[str, int]]]:
    """az's --set path: dotted keys with optional list indexes (`a.b[0].c`); None when it is not one."""
    path: List[Union[str, int]] = []
    for part in dotted_key.split("."):
        match = OVERRIDE_PATH_PART.match(part)
        if not match:
            return None
        path.append(match.group(1))
        path += [int(index) for index in re.findall(r"\[(\d+)\]", match.group(2))]
    return path


def _apply_override(document: Document, override: str) -> str:
    """Apply one override in place; returns what is wrong with it, or "" when it applied."""
    written_key, equals, value_text = override.partition("=")
    written_key = written_key.strip()
    if not equals:
        return "expected key=value, e.g. instance_count=2"
    parts = override_path(written_key)
    if not parts:
        return f"'{written_key}' is not a dotted field name"
    try:
        value = yaml.safe_load(value_text)
    except yaml.YAMLError as error:
        return f"the value is not a valid YAML scalar: {getattr(error, 'problem', error)}"
    problem = _set_path(document.data, parts, value, written_key)
    if problem:
        return problem
    dotted_key = ".".join(str(part) for part in parts)
    _forget_below(document, dotted_key)
    if isinstance(value, str):
        document.texts[dotted_key] = value
    elif not isinstance(value, (dict, list)) and value is not None:
        document.texts[dotted_key] = value_text.strip()
    document.overrides[dotted_key] = override
    return ""


def _set_path(container: Any, parts: List[Union[str, int]], value: Any, written_key: str) -> str:
    """Set `parts` to `value`, making the mappings and lists on the way; what is in the way, or ""."""
    for depth, part in enumerate(parts):
        problem = _step_problem(container, part, ".".join(str(p) for p in parts[:depth]) or "the top level")
        if problem:
            return f"cannot set '{written_key}': {problem}"
        if depth == len(parts) - 1:
            container[part] = value
            break
        child = container[part] if isinstance(part, int) else container.get(part)
        if child is None:
            child = container[part] = [] if isinstance(parts[depth + 1], int) else {}
        container = child
    return ""


def _step_problem(container: Any, part: Union[str, int], where: str) -> str:
    if not isinstance(part, int):
        return "" if isinstance(container, dict) else f"'{where}' is {describe(container)}, not a mapping"
    if not isinstance(container, list):
        return f"'{where}' is {describe(container)}, not a list"
    if part >= len(container):
        return f"'{where}' has {len(container)} item(s), no index {part}"
    return ""


def _forget_below(document: Document, dotted_key: str) -> None:
    """The lines and texts of what the override replaced no longer exist."""
    for key in [key for key in document.lines if key.startswith(dotted_key + ".")]:
        del document.lines[key]
    for key in [key for key in document.texts if key == dotted_key or key.startswith(dotted_key + ".")]:
        del document.texts[key]
