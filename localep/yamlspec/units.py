"""Kubernetes resource quantities ("500m" CPU, "512Mi" memory) as plain numbers the runtime can use."""

from __future__ import annotations

import re
from typing import Any, Dict

_MEMORY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(?:[eE](\d+))?\s*([KMGTPE]i|[kKMGTPE])?$")
_MEMORY_MULTIPLIERS: Dict[str, int] = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_cpu(value: Any) -> float:
    """CPU cores: 1.5 and "1.5" are one and a half cores, "500m" is half a core."""
    problem = ValueError(f"'{value}' is not a CPU quantity (e.g. 500m, 2, 1.5)")
    if _is_number(value):
        cores = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            cores = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
        except ValueError:
            raise problem from None
    else:
        raise problem
    if cores < 0:
        raise problem
    return cores


def parse_memory(value: Any) -> int:
    """Memory in bytes: 1024, "512Mi", "2Gi", "1G" (decimal), "0.1Gi"."""
    problem = ValueError(f"'{value}' is not a memory quantity (e.g. 512Mi, 2Gi, 1G, or bytes)")
    if _is_number(value):
        if value < 0:
            raise problem
        return int(value)
    if not isinstance(value, str):
        raise problem
    match = _MEMORY.match(value.strip())
    if not match:
        raise problem
    number, exponent, unit = match.groups()
    return round(float(number) * 10 ** int(exponent or 0) * _MEMORY_MULTIPLIERS[unit or ""])


def parse_gpu(value: Any) -> int:
    """Whole GPUs; Kubernetes files often quote the count ("1")."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not text.isdigit():
        raise ValueError(f"'{value}' is not a GPU count (a whole number such as 1)")
    return int(text)
