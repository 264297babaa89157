"""How big a deployment's container is: the SKU's CPU and memory (managed) or `resources.limits` (Kubernetes).

The cloud runs the container on a VM of the SKU, next to the node's own agents, and does not publish how much of
the VM the container may use. localep gives the container every vCPU of the SKU and the memory Kubernetes leaves
allocatable on a node of that size (AKS's rule: a 750 MiB eviction threshold plus 25 % of the first 4 GiB, 20 % of
the next 4, 10 % of the next 8, 6 % of the next 112 and 2 % of the rest), so a model that only fits the whole VM
fails here first. A SKU bigger than this machine is capped to the machine, with one line saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from localep.memory import GIB
from localep.yamlspec.model import Deployment
from localep.yamlspec.skus import Sku, find_sku

MIB = 2**20
EVICTION_THRESHOLD = 750 * MIB
# (size of the band in GiB, share of it the node keeps); the last band is unbounded.
RESERVED_BANDS: Tuple[Tuple[float, float], ...] = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (float("inf"), 0.02))


@dataclass(frozen=True)
class Machine:
    """What the Docker engine can give containers (Docker Desktop: its VM, not the laptop)."""

    cpus: int
    memory: int


@dataclass(frozen=True)
class ContainerSize:
    nano_cpus: Optional[int] = None
    mem_limit: Optional[int] = None
    sku: Optional[Sku] = None
    capped: Optional[str] = None  # the one line saying what was capped to this machine

    @property
    def cpus(self) -> Optional[float]:
        return None if self.nano_cpus is None else self.nano_cpus / 1e9


def machine_of(info: dict) -> Machine:
    """From `docker info`: NCPU and MemTotal."""
    return Machine(cpus=int(info.get("NCPU") or 1), memory=int(info.get("MemTotal") or 0))


def node_reserved(memory: int) -> int:
    """Memory a Kubernetes node of `memory` bytes keeps for itself (AKS's eviction threshold and kube-reserved)."""
    reserved, left = float(EVICTION_THRESHOLD), float(memory)
    for band_gib, share in RESERVED_BANDS:
        band = min(left, band_gib * GIB)
        reserved += band * share
        left -= band
        if left <= 0:
            break
    return int(reserved)


def sku_container_memory(sku: Sku) -> int:
    return sku.memory_bytes - node_reserved(sku.memory_bytes)


def size_for(deployment: Deployment, machine: Machine) -> ContainerSize:
    """The container's CPU and memory limits for `deployment` on `machine` (None: unlimited)."""
    sku = find_sku(deployment.instance_type or "") if deployment.kind == "managed" else None
    if sku is None:
        limits = deployment.resource_limits
        return ContainerSize(nano_cpus=int(limits.cpu * 1e9) if limits.cpu else None, mem_limit=limits.memory)
    return sku_size(sku, deployment.name, deployment.instance_type or sku.display_name, machine)


def sku_size(sku: Sku, owner: str, written: str, machine: Machine) -> ContainerSize:
    """The SKU's vCPUs and allocatable memory, capped to `machine`; `owner` and `written` name it in the line."""
    cpus, memory = float(sku.vcpus), sku_container_memory(sku)
    capped = []
    if cpus > machine.cpus:
        capped.append(f"{sku.vcpus} vCPU to this machine's {machine.cpus}")
        cpus = float(machine.cpus)
    if machine.memory and memory > machine.memory:
        capped.append(f"{memory / GIB:.1f} GiB of memory to this machine's {machine.memory / GIB:.1f} GiB")
        memory = machine.memory
    line = f"{owner}: {written} capped: {'; '.join(capped)}" if capped else None
    return ContainerSize(nano_cpus=int(cpus * 1e9), mem_limit=memory, sku=sku, capped=line)


def describe_size(size: ContainerSize) -> str:
    """"1 CPU, 1.9 GiB" for progress lines and `ps`."""
    cpu = "no CPU limit" if size.cpus is None else f"{size.cpus:g} CPU"
    memory = "no memory limit" if size.mem_limit is None else f"{size.mem_limit / GIB:.1f} GiB"
    return f"{cpu}, {memory}"


def resource_use(stats: Dict[str, Any], host_config: Dict[str, Any]) -> Dict[str, Dict[str, Optional[float]]]:
    """`ps`'s memory and CPU use against the container's limits, from one `docker stats` sample (with precpu)."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if usage is not None:  # as `docker stats` counts it: without the page cache the kernel can drop
        page_cache = (memory.get("stats") or {})
        usage -= page_cache.get("total_inactive_file", page_cache.get("inactive_file", 0))
    cpu, before = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    used = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (before.get("cpu_usage") or {}).get("total_usage", 0)
    system = cpu.get("system_cpu_usage", 0) - before.get("system_cpu_usage", 0)
    online = cpu.get("online_cpus") or 1
    nano_cpus = host_config.get("NanoCpus") or 0
    return {
        "memory": {"usage": usage, "peak": memory.get("max_usage"),
                   "limit": host_config.get("Memory") or None},
        # percent of one CPU, as `docker stats` shows it; limit in CPUs
        "cpu": {"percent": round(100.0 * used / system * online, 1) if system > 0 and used >= 0 else 0.0,
                "limit": nano_cpus / 1e9 if nano_cpus else None},
    }
