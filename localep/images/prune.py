"""Which environment images `localep prune` removes, decided from plain facts (no Docker here).

Only images that this LOCALEP_HOME's index names are ever candidates, and never one a container uses. An image
goes when no deployment file's latest build is it any more (an edited conda file leaves the old one behind),
then, if asked, the least recently used beyond `--keep N`, then until the rest fit in `--max-size`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Set

# `up` mentions `localep prune` once localep's images add up to more than this (documented in the README).
IMAGES_WARN_BYTES = 10 * 1000**3
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


@dataclass(frozen=True)
class ImageFacts:
    tag: str
    size: int  # bytes localep added on top of the base image
    last_used: Optional[float]
    used_by: List[str] = field(default_factory=list)  # deployment files whose latest build is this image
    in_use: bool = False  # a container, running or stopped, was made from it
    recorded: bool = True  # named by this LOCALEP_HOME's index
    layers: List[str] = field(default_factory=list)
    base: str = ""  # the base image's id


@dataclass(frozen=True)
class Removal:
    image: ImageFacts
    reason: str


def parse_size(text: str) -> int:
    """"500M", "2G", "1.5GB", "300MiB" (decimal units, like docker's sizes), or plain bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 500M or 2G")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(size: int) -> str:
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def select_removals(images: Sequence[ImageFacts], keep: Optional[int] = None,
                    max_size: Optional[int] = None) -> List[Removal]:
    candidates = [image for image in images if image.recorded and not image.in_use]
    removals = [Removal(image, "no deployment file uses it any more") for image in candidates if not image.used_by]
    current = sorted((image for image in candidates if image.used_by),
                     key=lambda image: image.last_used or 0.0, reverse=True)
    if keep is not None:
        removals += [Removal(image, f"beyond --keep {keep} (least recently used)") for image in current[keep:]]
        current = current[:keep]
    if max_size is not None:
        protected = sum(image.size for image in images if image.in_use or not image.recorded)
        total = protected + sum(image.size for image in current)
        while current and total > max_size:
            oldest = current.pop()
            total -= oldest.size
            removals.append(Removal(oldest, f"over --max-size {format_size(max_size)} (least recently used)"))
    return removals


def orphaned_layers(images: Sequence[ImageFacts], removals: Sequence[Removal]) -> List[str]:
    """Layer tags that only removed images stood on (a layer another image uses stays)."""
    removed = {removal.image.tag for removal in removals}
    kept: Set[str] = {layer for image in images if image.tag not in removed for layer in image.layers}
    return sorted({layer for removal in removals for layer in removal.image.layers} - kept)


def total_size(images: Sequence[ImageFacts]) -> int:
    return sum(image.size for image in images)
