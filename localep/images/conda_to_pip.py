"""Turn a conda environment's packages into pip requirements for base images that have no conda.

The cloud always builds with conda; locally, without conda in the base image, the next best thing is the same
packages from PyPI. What cannot come from PyPI is reported, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

# conda name -> PyPI name, where they differ.
RENAMED = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "tensorflow-base": "tensorflow",
    "matplotlib-base": "matplotlib",
    "pyyaml": "PyYAML",
    "msgpack-python": "msgpack",
    "opencv": "opencv-python-headless",
    "py-opencv": "opencv-python-headless",
    "libopencv": "opencv-python-headless",
    "pillow-simd": "pillow",
    "pytables": "tables",
}

# Conda packages that are system libraries or conda plumbing: no PyPI equivalent, usually not needed with wheels.
NOT_ON_PYPI = re.compile(
    r"^(_libgcc_mutex|_openmp_mutex|libgcc.*|libstdcxx.*|libgomp|libgfortran.*|libffi|libzlib|zlib|openssl|"
    r"ca-certificates|ld_impl_linux-64|ncurses|readline|sqlite|tk|xz|bzip2|libuuid|libnsl|libsqlite|"
    r"libblas|libcblas|liblapack|blas|mkl|mkl-service|mkl_fft|mkl_random|intel-openmp|openblas|libopenblas|"
    r"cudatoolkit|cudnn|cuda-.*|nccl|tbb|libiconv|icu|gxx.*|gcc.*|make|cmake|git|"
    r"tzdata|libxcrypt|libedit|libexpat|libmpdec|libnsl|nomkl|cpuonly|pytorch-cuda)$"
)

CONDA_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>.*)$")


@dataclass(frozen=True)
class Translation:
    requirements: List[str] = field(default_factory=list)
    translated: List[Tuple[str, str]] = field(default_factory=list)  # (conda spec, pip requirement)
    skipped: List[str] = field(default_factory=list)


def conda_spec_to_pip(spec: str) -> Optional[str]:
    """`numpy=1.26.4=py311h...` -> `numpy==1.26.4`; None for packages PyPI does not carry."""
    spec = spec.split("::", 1)[-1].strip()
    match = CONDA_PIN.match(spec)
    if not match:
        return None
    name = match.group("name").lower()
    if NOT_ON_PYPI.match(name):
        return None
    version = match.group("spec").strip()
    pip_name = RENAMED.get(name, name)
    return pip_name + _pip_version(version)


def _pip_version(conda_version: str) -> str:
    version = conda_version.strip()
    if not version:
        return ""
    if version.startswith("=="):
        return "==" + version[2:].split("=", 1)[0]
    if version.startswith("="):
        return _exact_or_prefix(version[1:].split("=", 1)[0])
    if version[0] in "<>!~":
        return version.replace(" ", "")
    return _exact_or_prefix(version.split()[0])


def _exact_or_prefix(version: str) -> str:
    """conda's `=1.26` means 1.26.*, `=1.26.4` pins; pip spells both with ==."""
    if version.endswith(".*") or version.count(".") >= 2:
        return "==" + version
    return "==" + version + ".*"


def translate(conda_packages: List[str], pip_packages: List[str]) -> Translation:
    requirements: List[str] = []
    translated: List[Tuple[str, str]] = []
    skipped: List[str] = []
    for spec in conda_packages:
        requirement = conda_spec_to_pip(spec)
        if requirement is None:
            skipped.append(spec)
        else:
            requirements.append(requirement)
            translated.append((spec, requirement))
    requirements.extend(pip_packages)
    return Translation(requirements=requirements, translated=translated, skipped=skipped)
