"""The managed online SKU table: Microsoft's list, case-insensitive, fractions of GPUs, suggestions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from localep.yamlspec.skus import SKUS, find_sku, parse_instance_type, unknown_sku_message


def test_table_has_every_row_of_microsofts_list_once():
    names = [sku.name for sku in SKUS]
    assert len(names) == 85 and len(set(names)) == 85


@pytest.mark.parametrize("name, vcpus, memory, gpus", [
    ("Standard_DS1_v2", 1, 3.5, 0),
    ("standard_ds3_v2", 4, 14, 0),
    ("STANDARD_F2S_V2", 2, 4, 0),
    ("Standard_E64s_v3", 64, 432, 0),
    ("Standard_D4as_v4", 4, 16, 0),
    ("Standard_NC4as_T4_v3", 4, 28, 1),
    ("Standard_NV6ads_A10_v5", 6, 55, Fraction(1, 6)),
    ("Standard_NV18ads_A10_v5", 18, 220, Fraction(1, 2)),
])
def test_sizes_match_case_insensitively(name, vcpus, memory, gpus):
    sku = find_sku(name)
    assert sku is not None
    assert (sku.vcpus, sku.memory_gib, sku.gpus) == (vcpus, memory, gpus)


def test_display_name_is_the_samples_spelling():
    assert find_sku("STANDARD_NC4AS_T4_V3").display_name == "Standard_NC4as_T4_v3"
    assert find_sku("standard_ds3_v2").display_name == "Standard_DS3_v2"


def test_unknown_sku_suggests_the_closest():
    assert "did you mean 'Standard_DS3_v2'?" in unknown_sku_message("Standard_DS3_v9")
    with pytest.raises(ValueError, match="not a VM size"):
        parse_instance_type("Standard_Banana")
