"""Every VM SKU Azure ML managed online endpoints accept, with its vCPUs, memory and GPUs: the one table.

Names and vCPU/GPU counts are Microsoft's managed online endpoints SKU list
(MicrosoftDocs/azure-ai-docs, articles/machine-learning/reference-managed-online-endpoints-vm-sku-list.md);
memory is from Azure's VM size pages. Names match case-insensitively, as in the cloud (the list writes them
upper-case, samples write `Standard_DS3_v2`). Batch `resources.instance_type` is checked against the same table.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, Iterable, Optional, Tuple

from localep.memory import GIB


@dataclass(frozen=True)
class Sku:
    name: str  # as Microsoft's list writes it
    vcpus: int
    memory_gib: float
    gpus: Fraction = Fraction(0)  # A10 partitions are fractions: NV6ads_A10_v5 has 1/6 of a GPU

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GIB)

    @property
    def display_name(self) -> str:
        """The spelling Azure's docs and samples use: STANDARD_NC4AS_T4_V3 -> Standard_NC4as_T4_v3."""
        _, size, *rest = self.name.split("_")
        series = re.sub(r"^([A-Z]+\d+)([A-Z]*)$", lambda m: m.group(1) + m.group(2).lower(), size)
        return "_".join(["Standard", series] + [part.lower() if part.startswith("V") else part for part in rest])

    def describe(self) -> str:
        gpu = f", {self.gpus} GPU" if self.gpus else ""
        return f"{self.display_name} ({self.vcpus} vCPU, {self.memory_gib:g} GiB{gpu})"


def _family(names_cpus_memory: Iterable[Tuple[str, int, float]], gpus: Iterable[str] = ()) -> Tuple[Sku, ...]:
    gpu_counts = list(gpus)
    return tuple(
        Sku(name, cpus, memory, Fraction(gpu_counts[index]) if gpu_counts else Fraction(0))
        for index, (name, cpus, memory) in enumerate(names_cpus_memory)
    )


def _per_vcpu(pattern: str, cpus: Iterable[int], gib_per_vcpu: float) -> Tuple[Sku, ...]:
    return _family((pattern.format(n), n, n * gib_per_vcpu) for n in cpus)


SKUS: Tuple[Sku, ...] = (
    *_per_vcpu("STANDARD_D{}AS_V4", (2, 4, 8, 16, 32, 48, 64, 96), 4),
    *_per_vcpu("STANDARD_D{}A_V4", (2, 4, 8, 16, 32, 48, 64, 96), 4),
    *_family([("STANDARD_DS1_V2", 1, 3.5), ("STANDARD_DS2_V2", 2, 7), ("STANDARD_DS3_V2", 4, 14),
              ("STANDARD_DS4_V2", 8, 28), ("STANDARD_DS5_V2", 16, 56)]),
    *_per_vcpu("STANDARD_E{}S_V3", (2, 4, 8, 16, 32, 48), 8),
    Sku("STANDARD_E64S_V3", 64, 432),
    *_per_vcpu("STANDARD_F{}S_V2", (2, 4, 8, 16, 32, 48, 64, 72), 2),
    *_per_vcpu("STANDARD_FX{}MDS", (4, 12, 24, 36, 48), 21),
    *_per_vcpu("STANDARD_L{}AS_V3", (8, 16, 32, 48, 64, 80), 8),
    *_per_vcpu("STANDARD_L{}S_V2", (8, 16, 32, 48, 64, 80), 8),
    *_per_vcpu("STANDARD_L{}S_V3", (8, 16, 32, 48, 64, 80), 8),
    *_family([("STANDARD_NC24ADS_A100_V4", 24, 220), ("STANDARD_NC48ADS_A100_V4", 48, 440),
              ("STANDARD_NC96ADS_A100_V4", 96, 880)], gpus=("1", "2", "4")),
    *_family([("STANDARD_NC4AS_T4_V3", 4, 28), ("STANDARD_NC8AS_T4_V3", 8, 56), ("STANDARD_NC16AS_T4_V3", 16, 110),
              ("STANDARD_NC64AS_T4_V3", 64, 440)], gpus=("1", "1", "1", "4")),
    *_family([("STANDARD_NC6S_V2", 6, 112), ("STANDARD_NC12S_V2", 12, 224), ("STANDARD_NC24S_V2", 24, 448)],
             gpus=("1", "2", "4")),
    *_family([("STANDARD_NC6S_V3", 6, 112), ("STANDARD_NC12S_V3", 12, 224), ("STANDARD_NC24S_V3", 24, 448)],
             gpus=("1", "2", "4")),
    *_family([("STANDARD_NC40ADS_H100_V5", 40, 320), ("STANDARD_NC80ADIS_H100_V5", 80, 640)], gpus=("1", "2")),
    *_family([("STANDARD_ND96AMSR_A100_V4", 96, 1900), ("STANDARD_ND96ASR_V4", 96, 900),
              ("STANDARD_ND40RS_V2", 40, 672), ("STANDARD_ND96IS_H100_V5", 96, 1900),
              ("STANDARD_ND96ISR_H100_V5", 96, 1900)], gpus=("8", "8", "8", "8", "8")),
    *_family([("STANDARD_NV6ADS_A10_V5", 6, 55), ("STANDARD_NV12ADS_A10_V5", 12, 110),
              ("STANDARD_NV18ADS_A10_V5", 18, 220), ("STANDARD_NV36ADS_A10_V5", 36, 440),
              ("STANDARD_NV36ADMS_A10_V5", 36, 880), ("STANDARD_NV72ADS_A10_V5", 72, 880)],
             gpus=("1/6", "1/3", "1/2", "1", "1", "2")),
)

_BY_KEY: Dict[str, Sku] = {sku.name.lower(): sku for sku in SKUS}


def find_sku(name: str) -> Optional[Sku]:
    """The SKU `name` stands for, ignoring case (and spaces around it), or None."""
    return _BY_KEY.get(name.strip().lower())


def unknown_sku_message(name: str) -> str:
    close = difflib.get_close_matches(name.strip().lower(), list(_BY_KEY), n=1, cutoff=0.75)
    hint = f"; did you mean '{_BY_KEY[close[0]].display_name}'?" if close else (
        " (see Microsoft's managed online endpoints SKU list, e.g. Standard_DS3_v2)")
    return f"'{name}' is not a VM size managed online endpoints offer{hint}"


def parse_instance_type(value: object) -> Sku:
    """For the schema's `parse`: the SKU, or ValueError with the message to show at the field's line."""
    sku = find_sku(str(value))
    if sku is None:
        raise ValueError(unknown_sku_message(str(value)))
    return sku
