"""vCPUs and memory of the managed SKUs whose sizes localep knows, for a Deployment's resources.

A minimal lookup behind one function until localep has one SKU table for every command: the DSv2 sizes by name
(DS1 1 vCPU 3.5 GiB ... DS5 16/56), and the families sized per vCPU (Fsv2 2 GiB, Esv3 8 GiB, Dav4/Dasv4 4 GiB).
Names are matched case-insensitively, as the cloud does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

GIB = 1024**3
DSV2: Dict[str, Tuple[int, float]] = {"1": (1, 3.5), "2": (2, 7), "3": (4, 14), "4": (8, 28), "5": (16, 56)}
DSV2_NAME = re.compile(r"^standard_ds(\d)_v2$", re.IGNORECASE)
PER_VCPU = (  # (pattern with the vCPU count as group 1, GiB per vCPU)
    (re.compile(r"^standard_f(\d+)s_v2$", re.IGNORECASE), 2.0),
    (re.compile(r"^standard_e(\d+)s_v3$", re.IGNORECASE), 8.0),
    (re.compile(r"^standard_d(\d+)as?_v4$", re.IGNORECASE), 4.0),
)


@dataclass(frozen=True)
class InstanceSize:
    cpu: float
    memory: int  # bytes


def instance_size(instance_type: Optional[str]) -> Optional[InstanceSize]:
    """None for a SKU localep does not know (the manifest then sets no CPU or memory for it)."""
    if not instance_type:
        return None
    match = DSV2_NAME.match(instance_type)
    if match and match.group(1) in DSV2:
        cpus, gib = DSV2[match.group(1)]
        return InstanceSize(cpu=cpus, memory=int(gib * GIB))
    for pattern, gib_per_cpu in PER_VCPU:
        match = pattern.match(instance_type)
        if match:
            cpus = int(match.group(1))
            return InstanceSize(cpu=cpus, memory=int(cpus * gib_per_cpu * GIB))
    return None
