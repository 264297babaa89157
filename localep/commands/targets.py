"""Commands accept an endpoint either by name or by one of its YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

from localep.yamlspec import load_project


def endpoint_names(targets: Sequence[str]) -> List[str]:
    names = []
    for target in targets:
        path = Path(target)
        if target.endswith((".yml", ".yaml")) or path.is_dir():
            names.append(load_project([path], require_local=False).endpoint.name)
        else:
            names.append(target)
    return names


def endpoint_name(target: str) -> str:
    return endpoint_names([target])[0]
