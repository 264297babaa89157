"""Conda environment files: what Python, conda and pip packages a deployment's image must contain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from localep.errors import SpecError
from localep.yamlspec.diagnostics import raise_first_error
from localep.yamlspec.schema import ANY, LIST, MAP, MAPPING, SCALAR, STRING, TEXT, Field, check_field
from localep.yamlspec.yamlio import Document, describe, read_document

_PACKAGE = re.compile(r"^(?:[^:\s]+::)?([A-Za-z0-9_.\-]+)\s*(.*)$")

CONDA_FILE = Field(
    MAPPING,
    fields={
        "name": Field(TEXT),
        "channels": Field(LIST, values=Field(STRING)),
        "dependencies": Field(LIST, values=Field(ANY)),
        "prefix": Field(STRING),
        "variables": Field(MAP, values=Field(SCALAR)),
    },
)


@dataclass(frozen=True)
class CondaEnvironment:
    """`lines` has "name", "channels", "dependencies", "dependencies.pip", "python", and for each
    package "conda:<spec>" / "pip:<spec>", so checks can point at the line that needs changing."""

    name: Optional[str]
    python_version: Optional[str]
    conda_packages: List[str]
    pip_packages: List[str]
    lines: Dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    file: Optional[Path] = None


def package_name(spec: str) -> str:
    """The bare package name of a conda or pip spec: "conda-forge::numpy>=1.2" -> "numpy"."""
    match = _PACKAGE.match(spec.strip())
    return match.group(1) if match else spec.strip()


def parse_conda_file(path: Path) -> CondaEnvironment:
    """Read a conda environment file; malformed content raises SpecError at the offending line."""
    document = read_document(path)
    problems = check_field(document, document.data, CONDA_FILE, "")
    raise_first_error(problems)
    data = document.data
    lines: Dict[str, int] = {key: document.lines[key] for key in ("name", "channels", "dependencies") if key in document.lines}
    python_version: Optional[str] = None
    conda_packages: List[str] = []
    pip_packages: List[str] = []
    for index, item in enumerate(data.get("dependencies") or []):
        item_path = f"dependencies.{index}"
        if isinstance(item, dict):
            pip_packages += _pip_list(document, item, item_path, lines)
            continue
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise SpecError(
                f"{item_path}: expected a package spec or a 'pip:' list, got {describe(item)}",
                document.location(item_path),
            )
        spec = str(item).strip()
        name = package_name(spec).lower()
        if name == "python":
            python_version = _python_version(spec)
            lines["python"] = document.lines[item_path]
        elif name != "pip":
            conda_packages.append(spec)
            lines[f"conda:{spec}"] = document.lines[item_path]
    name_value = data.get("name")
    return CondaEnvironment(
        name=None if name_value is None else document.text("name", name_value),
        python_version=python_version,
        conda_packages=conda_packages,
        pip_packages=pip_packages,
        lines=lines,
        file=path,
    )


def _pip_list(document: Document, item: Dict[str, Any], item_path: str, lines: Dict[str, int]) -> List[str]:
    unexpected = [key for key in item if key != "pip"]
    if unexpected:
        key_path = f"{item_path}.{unexpected[0]}"
        raise SpecError(
            f"unknown entry '{unexpected[0]}' in dependencies; only 'pip:' may hold a list",
            document.location(key_path),
        )
    pip_path = f"{item_path}.pip"
    lines["dependencies.pip"] = document.lines[pip_path]
    entries = item.get("pip") or []
    if not isinstance(entries, list):
        raise SpecError(f"dependencies: pip: expected a list, got {describe(entries)}", document.location(pip_path))
    packages = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            raise SpecError(
                f"dependencies: pip: expected a requirement string, got {describe(entry)}",
                document.location(f"{pip_path}.{index}"),
            )
        packages.append(entry.strip())
        lines[f"pip:{entry.strip()}"] = document.lines[f"{pip_path}.{index}"]
    return packages


def _python_version(spec: str) -> Optional[str]:
    """`python=3.8` -> "3.8", `python>=3.9` -> ">=3.9", bare `python` -> None."""
    rest = _PACKAGE.match(spec.strip()).group(2).strip()  # type: ignore[union-attr]
    if rest.startswith("==") or (rest.startswith("=") and not rest.startswith("=>")):
        rest = rest.lstrip("=").strip()
    return rest or None
