"""Kubernetes quantities: CPU and memory."""

from __future__ import annotations

import pytest

from localep.yamlspec.units import parse_cpu, parse_gpu, parse_memory


@pytest.mark.parametrize("value, cores", [("500m", 0.5), ("2", 2.0), (1.5, 1.5), (3, 3.0), ("0.1", 0.1)])
def test_cpu_quantities(value, cores):
    assert parse_cpu(value) == pytest.approx(cores)


@pytest.mark.parametrize(
    "value, size",
    [("512Mi", 512 * 2**20), ("2Gi", 2 * 2**30), ("1G", 10**9), (1024, 1024), ("0.1Gi", round(0.1 * 2**30)),
     ("100k", 100_000), ("1e3", 1000), ("64Ki", 65536)],
)
def test_memory_quantities(value, size):
    assert parse_memory(value) == size


@pytest.mark.parametrize("parse, value", [(parse_cpu, "fast"), (parse_cpu, "-1"), (parse_memory, "2 GB"),
                                          (parse_memory, -5), (parse_gpu, "1.5"), (parse_gpu, True)])
def test_bad_quantities_raise(parse, value):
    with pytest.raises(ValueError):
        parse(value)

