"""Which package layers an environment gets: the environment, the inference server, then the whole pip list.

The layers are ordered from what changes least to what changes most, so an edit of the pip list reuses the layers
under it (see localep.images.layers for how each is installed and keyed).
"""

from __future__ import annotations

import re
from typing import List, Sequence, Tuple

from localep.images.kinds.base import PackageLayer
from localep.yamlspec.conda import package_name

# The packages that make an environment servable: installed in a layer of their own, below everything else.
SERVER_PACKAGES = frozenset({"azureml-inference-server-http", "azureml-defaults"})


def normalized_name(requirement: str) -> str:
    """PEP 503 name of a requirement line: "Azureml_Inference.Server-HTTP[x]==1" -> "azureml-inference-server-http"."""
    return re.sub(r"[-_.]+", "-", package_name(requirement.split("[", 1)[0])).lower()


def server_first(requirements: Sequence[str], python: str, create_venv: bool = False, conda: str = "",
                 conda_file: bytes = b"", from_conda: Sequence[str] = ()) -> Tuple[PackageLayer, ...]:
    """Environment (venv or conda), the inference server, the conda section's packages taken from PyPI
    (`from_conda`, a subset of `requirements`), then the whole list: an edit of the pip section rebuilds only
    the last layer. That layer installs everything, so the result is what one resolution of the whole list gives
    (an installer keeps what already satisfies it)."""
    server = tuple(line for line in requirements if normalized_name(line) in SERVER_PACKAGES)
    layers: List[PackageLayer] = []
    if conda:
        layers.append(PackageLayer(name="conda packages", conda=conda, conda_file=conda_file, python=python))
    if server or create_venv:
        layers.append(PackageLayer(name="inference server" if server else "environment", requirements=server,
                                   create_venv=create_venv, python=python))
    if from_conda:
        layers.append(PackageLayer(name="conda section from PyPI", requirements=tuple(server) + tuple(from_conda),
                                   python=python))
    if set(requirements) - set(server) - set(from_conda):
        layers.append(PackageLayer(name="pip packages", requirements=tuple(requirements), python=python))
    return tuple(layers)
