"""Binary-compatibility pins for the pip route: what conda's solver would choose and pip does not know.

The cloud builds a conda file with conda, whose solver only picks a numpy that the pinned packages were built
against. pip takes the newest numpy for an unpinned one, and an older compiled package then fails at import
("numpy.dtype size changed"). On the pip route (a base image without conda) only, each rule below adds the
constraint the pinned package needs, or, when the file pins the other side too, says which package to pin and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from localep.images.kinds.layering import normalized_name


@dataclass(frozen=True)
class BinaryPin:
    """`package` below version `fixed_in` was built against numpy 1: it needs `constraint` beside it."""

    package: str
    fixed_in: Tuple[int, ...]
    constraint: str = "numpy<2"
    constrained: str = "numpy"


def _version(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


# First releases with wheels built for numpy 2 (from each project's release notes for numpy 2.0 support).
BINARY_PINS: Tuple[BinaryPin, ...] = (
    BinaryPin("scikit-learn", (1, 4, 2)),
    BinaryPin("pandas", (2, 2, 2)),
    BinaryPin("scipy", (1, 13, 0)),
    BinaryPin("matplotlib", (3, 8, 4)),
    BinaryPin("pyarrow", (16, 0, 0)),
    BinaryPin("h5py", (3, 11, 0)),
    BinaryPin("torch", (2, 3, 0)),
    BinaryPin("xgboost", (2, 1, 0)),
    BinaryPin("lightgbm", (4, 4, 0)),
    BinaryPin("onnxruntime", (1, 18, 0)),
)

REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)")
_EXACT = re.compile(r"^==\s*(?P<version>\d+(?:\.\d+)*)(?:\.\*)?$")


def _spec_of(requirements: Sequence[str], package: str) -> Optional[str]:
    """The version spec written for `package` ("" when unpinned), or None when it is not listed."""
    for line in requirements:
        match = REQUIREMENT.match(line)
        if match and normalized_name(match.group("name")) == package:
            return match.group("spec").strip()
    return None


@dataclass(frozen=True)
class Constraints:
    added: List[str]  # requirement lines to install with the others
    notes: List[str]  # what was added and why, or which package to pin


def pinned_version(requirements: Sequence[str], package: str) -> Optional[Tuple[int, ...]]:
    """The version `package` is pinned to with == (or ==X.*) in `requirements`, else None."""
    exact = _EXACT.match(_spec_of(requirements, package) or "")
    return _version(exact.group("version")) if exact else None


def binary_constraints(requirements: Sequence[str]) -> Constraints:
    """The constraints to add for the pinned packages in `requirements`, and the notes the build prints."""
    added: List[str] = []
    notes: List[str] = []
    for rule in BINARY_PINS:
        version = pinned_version(requirements, rule.package)
        if version is None or version >= rule.fixed_in:
            continue
        pinned = ".".join(map(str, version))
        given = _spec_of(requirements, rule.constrained)
        if not given:
            if rule.constraint not in added:
                added.append(rule.constraint)
            notes.append(f"added {rule.constraint}: {rule.package}=={pinned} was built for numpy 1 (as conda's "
                         f"solver would choose)")
        elif "<" not in given and _version(given) >= (2,):
            notes.append(f"{rule.package}=={pinned} was built for numpy 1 but the conda file asks for {rule.constrained}{given}: pin "
                         f"{rule.constraint} or {rule.package}>={'.'.join(map(str, rule.fixed_in))}")
    return Constraints(added=added, notes=notes)
