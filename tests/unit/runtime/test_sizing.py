"""The container's CPU and memory from the SKU (or Kubernetes limits), capped to the machine."""

from __future__ import annotations

from pathlib import Path

from localep.memory import GIB
from localep.runtime.sizing import Machine, node_reserved, size_for, sku_container_memory
from localep.yamlspec.model import Deployment, ResourceLimits
from localep.yamlspec.skus import find_sku

BIG = Machine(cpus=64, memory=512 * GIB)


def deployment(**changes) -> Deployment:
    fields = dict(name="blue", endpoint_name="ep", file=Path("blue.yml"), kind="managed")
    fields.update(changes)
    return Deployment(**fields)


def test_node_reserve_follows_the_aks_bands():
    # 750 MiB + 25 % of 3.5 GiB
    assert node_reserved(int(3.5 * GIB)) == int(750 * 2**20 + 0.875 * GIB)
    # 750 MiB + 1 + 0.8 + 0.6 (of 6 GiB past 8)
    assert node_reserved(14 * GIB) == int(750 * 2**20 + 2.4 * GIB)


def test_managed_container_gets_the_skus_vcpus_and_allocatable_memory():
    size = size_for(deployment(instance_type="standard_ds1_v2"), BIG)
    assert size.nano_cpus == 1_000_000_000
    assert size.mem_limit == sku_container_memory(find_sku("Standard_DS1_v2"))
    assert 1.8 * GIB < size.mem_limit < 2 * GIB
    assert size.capped is None


def test_a_sku_bigger_than_the_machine_is_capped_in_one_line():
    size = size_for(deployment(instance_type="Standard_DS5_v2"), Machine(cpus=2, memory=24 * GIB))
    assert size.nano_cpus == 2_000_000_000 and size.mem_limit == 24 * GIB
    assert size.capped == ("blue: Standard_DS5_v2 capped: 16 vCPU to this machine's 2; "
                           "50.3 GiB of memory to this machine's 24.0 GiB")


def test_kubernetes_keeps_its_resources():
    size = size_for(deployment(kind="kubernetes", instance_type="Standard_DS1_v2",
                               resource_limits=ResourceLimits(cpu=0.5, memory=256 * 2**20)), BIG)
    assert (size.nano_cpus, size.mem_limit, size.sku) == (500_000_000, 256 * 2**20, None)
