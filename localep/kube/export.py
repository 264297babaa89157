"""Typed objects -> YAML files in the output folder, one object per file, each with a header saying what it is."""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

import yaml

from localep import __version__
from localep.fileio import atomic_write, make_dirs
from localep.kube import objects as k8s
from localep.kube.online import GATEWAY_NOTE

KUBERNETES_VERSION = "1.33"  # the schemas the tests validate every object against (kubernetes-validate, strict)
GATEWAY_API = "gateway.networking.k8s.io/v1"


def file_name(obj: k8s.TopLevel) -> str:
    return f"{obj.KIND.lower()}-{obj.metadata.name}.yaml"


def header(obj: k8s.TopLevel, source: str) -> str:
    lines = [f"# {obj.KIND} {obj.metadata.name}: written by localep {__version__} `export kubernetes` from {source}",
             f"# (Kubernetes {KUBERNETES_VERSION} schemas; {GATEWAY_API} for HTTPRoute). Not applied to a cluster by localep."]
    if isinstance(obj, k8s.HTTPRoute):
        lines += ["#", *("# " + line for line in _wrapped(GATEWAY_NOTE))]
    return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int = 110) -> List[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


def render(obj: k8s.TopLevel, source: str) -> str:
    return header(obj, source) + yaml.safe_dump(k8s.manifest(obj), sort_keys=False, default_flow_style=False)


def write_manifests(objects: Sequence[k8s.TopLevel], folder: Path, source: str) -> List[Path]:
    """Owner-only files, as everything localep writes; an object's file is replaced whole."""
    make_dirs(folder, private=True)
    written = []
    for obj in objects:
        path = folder / file_name(obj)
        atomic_write(path, render(obj, source), private=True)
        written.append(path)
    return written
