"""localep's environment images as the engine and this LOCALEP_HOME's index know them; removing them; the cache.

The side-effect half of `localep images` and `localep prune` (the decisions are in localep.images.prune);
`prune` runs the whole of `localep prune`, so the command only parses options and prints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import docker
import docker.errors

from localep.images.cache import IMAGE_REPOSITORY
from localep.images.images import LABEL_BASE, LABEL_KEY, LABEL_LAYERS
from localep.images.layers import LAYER_REPOSITORY
from localep.images.packagecache import CACHE_MOUNT, run_in_cache, volume_name
from localep.images.prune import (
    IMAGES_WARN_BYTES,
    ImageFacts,
    Removal,
    format_size,
    orphaned_layers,
    parse_size,
    select_removals,
    total_size,
)
from localep.images.usage import Index, current_users, forget_images, read_index

WARN_SIZE_VARIABLE = "LOCALEP_IMAGES_WARN_SIZE"
# Tags built on an environment image, removed with it.
COMPANION_SUFFIXES = ("-debug", "-context")
_CACHE_SIZE = f"du -sk {CACHE_MOUNT} | cut -f1"
_CACHE_PRUNE = (f"for uv in {CACHE_MOUNT}/tools/uv-*/bin/uv; do [ -x \"$uv\" ] && "
                f"UV_CACHE_DIR={CACHE_MOUNT}/uv \"$uv\" cache prune -q; break; done; ")
_CACHE_CLEAR = f"rm -rf {CACHE_MOUNT}/uv {CACHE_MOUNT}/pip {CACHE_MOUNT}/conda; "


def environment_images(client: docker.DockerClient, index: Index) -> List[ImageFacts]:
    """Every localep environment image on the engine; `recorded` only for those this home's index names."""
    in_use = {container.attrs.get("ImageID") for container in client.containers.list(all=True, sparse=True)}
    base_sizes: Dict[str, int] = {}
    facts = []
    for image in client.images.list(filters={"label": LABEL_KEY}):
        tag = image.labels.get(LABEL_KEY, "")
        if tag not in image.tags:
            continue  # a debug or context image, counted with its environment image
        record = index["images"].get(tag)
        facts.append(ImageFacts(
            tag=tag,
            size=image.attrs.get("Size", 0) - _base_size(client, image.labels.get(LABEL_BASE, ""), base_sizes),
            last_used=record.get("last_used") if record else None,
            used_by=[file for file in current_users(index, tag) if Path(file).exists()],
            in_use=image.id in in_use or any(_companion_in_use(client, tag, in_use)),
            recorded=record is not None,
            layers=json.loads(image.labels.get(LABEL_LAYERS, "[]")),
            base=image.labels.get(LABEL_BASE, ""),
        ))
    return sorted(facts, key=lambda fact: fact.last_used or 0.0, reverse=True)


def _base_size(client: docker.DockerClient, base: str, sizes: Dict[str, int]) -> int:
    if base and base not in sizes:
        try:
            sizes[base] = client.images.get(base).attrs.get("Size", 0)
        except docker.errors.ImageNotFound:
            sizes[base] = 0
    return sizes.get(base, 0)


def _companion_in_use(client: docker.DockerClient, tag: str, in_use: set) -> List[bool]:
    found = []
    for suffix in COMPANION_SUFFIXES:
        try:
            found.append(client.images.get(tag + suffix).id in in_use)
        except docker.errors.ImageNotFound:
            pass
    return found


def remove_images(client: docker.DockerClient, removals: Sequence[Removal], layers: Sequence[str]) -> List[str]:
    """Untag each image (its companions first) and the orphaned layers; the engine frees what nothing else uses.

    Only localep's own repositories are ever touched, whatever the index says."""
    removed = []
    tags = [tag + suffix for removal in removals for tag in [removal.image.tag] for suffix in COMPANION_SUFFIXES]
    tags += [removal.image.tag for removal in removals] + list(layers)
    for tag in tags:
        if not tag.startswith((IMAGE_REPOSITORY + ":", LAYER_REPOSITORY + ":")):
            continue
        try:
            client.images.remove(tag, noprune=False)
            removed.append(tag)
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as error:
            if error.status_code != 409:  # 409: a container still uses it (started since we looked): keep it
                raise
    return removed


def prune_reminder(client: docker.DockerClient, index: Index, environ: Mapping[str, str] = os.environ
                   ) -> Optional[str]:
    """A sentence for `up` and `build` once this home's images add up to more than the documented size."""
    try:
        threshold = parse_size(environ[WARN_SIZE_VARIABLE]) if environ.get(WARN_SIZE_VARIABLE) else IMAGES_WARN_BYTES
    except ValueError:
        threshold = IMAGES_WARN_BYTES
    recorded = [fact for fact in environment_images(client, index) if fact.recorded]
    total = total_size(recorded)
    if total <= threshold:
        return None
    unused = sum(1 for fact in recorded if not fact.used_by and not fact.in_use)
    return (f"localep's environment images take {format_size(total)} (more than {format_size(threshold)}); "
            f"{unused} of {len(recorded)} are used by no deployment file any more: `localep prune` removes them "
            "(`localep images` lists them)")


def maintenance_image(client: docker.DockerClient, candidates: Sequence[str]) -> Optional[str]:
    """A local image with a shell to look after the cache volume with: any environment image or base still here."""
    for name in candidates:
        try:
            return client.images.get(name).id
        except docker.errors.ImageNotFound:
            continue
    return None


def cache_size(client: docker.DockerClient, volume: str, image: str) -> Optional[int]:
    """Bytes in the package cache volume; None when it does not exist."""
    output = run_in_cache(client, image, volume, _CACHE_SIZE)
    return int(output.strip().splitlines()[-1]) * 1024 if output and output.strip() else None


def trim_cache(client: docker.DockerClient, volume: str, image: str, max_size: Optional[int]
               ) -> Tuple[Optional[int], Optional[int]]:
    """uv's own prune (entries nothing refers to), then a full clear when the cache is still over `max_size`.

    (size before, size after); the uv binary itself stays, so offline builds keep their installer."""
    before = cache_size(client, volume, image)
    if before is None:
        return None, None
    run_in_cache(client, image, volume, _CACHE_PRUNE)
    after = cache_size(client, volume, image)
    if max_size is not None and after is not None and after > max_size:
        run_in_cache(client, image, volume, _CACHE_CLEAR)
        after = cache_size(client, volume, image)
    return before, after


@dataclass(frozen=True)
class PruneOutcome:
    """What `localep prune` removed (or, with dry_run, would remove) and the package cache's size around it."""

    dry_run: bool
    removals: List[Removal]
    layers: List[str]  # layer tags only removed images stood on
    removed_tags: List[str]  # what was really untagged (nothing on a dry run)
    cache_volume: str
    cache_before: Optional[int] = None  # None: no volume, or no local image to measure it with
    cache_after: Optional[int] = None


def prune(client: docker.DockerClient, keep: Optional[int] = None, max_size: Optional[int] = None,
          cache_max_size: Optional[int] = None, dry_run: bool = False) -> PruneOutcome:
    """Remove the images `select_removals` picks and their orphaned layers, forget them, then trim the cache."""
    facts = environment_images(client, read_index())
    removals = select_removals(facts, keep=keep, max_size=max_size)
    layers = orphaned_layers(facts, removals)
    removed: List[str] = []
    if not dry_run:
        removed = remove_images(client, removals, layers)
        forget_images([removal.image.tag for removal in removals])
    gone = set() if dry_run else {removal.image.tag for removal in removals}
    helper = maintenance_image(client, [fact.tag for fact in facts if fact.tag not in gone]
                               + [fact.base for fact in facts if fact.base])
    volume = volume_name()
    before, after = _cache_sizes(client, volume, helper, cache_max_size, dry_run)
    return PruneOutcome(dry_run, removals, layers, removed, volume, before, after)


def _cache_sizes(client: docker.DockerClient, volume: str, helper: Optional[str], max_size: Optional[int],
                 dry_run: bool) -> Tuple[Optional[int], Optional[int]]:
    """(before, after) trimming; a dry run only measures."""
    if helper is None:
        return None, None
    if dry_run:
        size = cache_size(client, volume, helper)
        return size, size
    return trim_cache(client, volume, helper, max_size)
