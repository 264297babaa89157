"""Build (and push) the portable image: the environment image from localep's cache, then one thin build on top."""

from __future__ import annotations

import io
import tarfile
import tempfile
from dataclasses import dataclass
from typing import IO, Dict, List, Optional, Tuple, Union

import docker
import docker.errors

from localep.errors import BuildError, LocalepError
from localep.images.images import ensure_image, follow_build
from localep.images.settings import BuildSettings
from localep.portable.recipe import (
    Copy,
    FileEntry,
    PackageRecipe,
    content_hash,
    context_name,
    dockerfile,
    file_entries,
    image_labels,
    plan_batch_package,
    plan_package,
)
from localep.progress import Reporter, Stopwatch
from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.model import Deployment

DEFAULT_TAG = "latest"
HASH_TAG_LENGTH = 12


@dataclass(frozen=True)
class PackagedImage:
    name: str
    image_id: str
    content_hash: str
    environment_image: str
    environment_cached: bool
    recipe: PackageRecipe
    seconds: float
    reused: bool = False  # NAME already held exactly this package: nothing was built


def package_deployment(client: docker.DockerClient, deployment: Union[Deployment, BatchDeployment], name: str,
                       settings: BuildSettings,
                       reporter: Reporter, tag_with_hash: bool = False) -> PackagedImage:
    """`name` is REPOSITORY[:TAG], or with `tag_with_hash` a REPOSITORY whose tag is the start of the content hash;
    the environment image is reused (or built) exactly as `localep up` would."""
    watch = Stopwatch()
    environment = ensure_image(client, deployment, settings, reporter)
    base_id = client.images.get(environment.tag).id
    if isinstance(deployment, BatchDeployment):
        recipe = plan_batch_package(deployment)
    else:
        recipe = plan_package(deployment, environment.tag, environment.server)
    entries = [(copy, entry) for copy in recipe.copies for entry in file_entries(copy)]
    digest = content_hash(recipe, base_id, [entry for _, entry in entries])
    if tag_with_hash:
        name = f"{name}:{digest[:HASH_TAG_LENGTH]}"
    labels = image_labels(recipe, digest)
    existing = None if settings.rebuild else _same_image(client, name, labels)
    if existing is not None:
        reporter.step(f"{name} already holds this package ({existing.short_id}), unchanged")
        return PackagedImage(name=name, image_id=existing.id, content_hash=digest, environment_image=environment.tag,
                             environment_cached=environment.cached, recipe=recipe, seconds=watch.elapsed(),
                             reused=True)
    reporter.step(f"packaging {deployment.name} as {name} ({len(entries)} files on {environment.tag})")
    with tempfile.TemporaryFile() as context:  # owner-only and unlinked: the model may be large, memory is not
        write_context(context, dockerfile(recipe, base_id, labels), entries)
        context.seek(0)
        stream = client.api.build(fileobj=context, custom_context=True, tag=name, rm=True, forcerm=True, pull=False,
                                  decode=True)
        follow_build(stream, reporter, deployment)
    image = client.images.get(name)
    reporter.step(f"packaged {name} ({image.short_id}) in {watch}")
    return PackagedImage(name=name, image_id=image.id, content_hash=digest, environment_image=environment.tag,
                         environment_cached=environment.cached, recipe=recipe, seconds=watch.elapsed())


def _same_image(client: docker.DockerClient, name: str, labels: Dict[str, str]):
    """The image NAME when it already is this package (same content hash and source labels), else None."""
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        return None
    return image if all(image.labels.get(key) == value for key, value in labels.items()) else None


def write_context(stream: IO[bytes], text: str, entries: List[Tuple[Copy, FileEntry]]) -> None:
    """Normalised entries (root-owned, time 0, 0644 or 0755), so the same files give the same layers."""
    with tarfile.open(fileobj=stream, mode="w") as archive:
        _add_bytes(archive, "Dockerfile", text.encode())
        for copy, entry in entries:
            _add_file(archive, context_name(copy, entry.target), entry)


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


def _add_file(archive: tarfile.TarFile, name: str, entry: FileEntry) -> None:
    info = tarfile.TarInfo(name)
    info.size = entry.source.stat().st_size
    info.mode = 0o755 if entry.executable else 0o644
    with entry.source.open("rb") as source:
        archive.addfile(info, source)


def split_name(name: str) -> Tuple[str, str]:
    """REPOSITORY[:TAG] -> (repository, tag); a port in the registry host is not a tag."""
    repository, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:
        return name, DEFAULT_TAG
    return repository, tag


def registry_of(name: str) -> Optional[str]:
    """The registry host NAME names, as Docker reads it: a first part with a dot, a port or `localhost`."""
    first, sep, _ = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def push_image(client: docker.DockerClient, name: str, reporter: Reporter) -> str:
    """Push with the engine's stored credentials; the pushed digest. A name without a registry is refused rather
    than sent to Docker Hub by default."""
    registry = registry_of(name)
    if registry is None:
        raise LocalepError(f"--push: {name} names no registry; tag it REGISTRY/REPOSITORY[:TAG] "
                           "(e.g. myregistry.azurecr.io/scoring:1)")
    repository, tag = split_name(name)
    reporter.step(f"pushing {name} to {registry}")
    digest = ""
    try:
        for chunk in client.api.push(repository, tag=tag, stream=True, decode=True):
            if "error" in chunk:
                raise LocalepError(f"cannot push {name} to {registry}: {chunk['error'].strip()}")
            digest = chunk.get("aux", {}).get("Digest", digest)
    except docker.errors.APIError as error:
        raise LocalepError(f"cannot push {name} to {registry}: {error.explanation or error}") from None
    if not digest:
        raise LocalepError(f"cannot push {name} to {registry}: the engine reported no digest")
    reporter.step(f"pushed {name}@{digest}")
    return digest


def check_name(name: str) -> None:
    """Fail before any build on a name Docker would refuse."""
    repository, tag = split_name(name)
    if not repository or repository != repository.lower() or " " in name or not tag:
        raise BuildError(f"-t {name}: not a valid image name (lower-case REPOSITORY[:TAG], e.g. scoring/blue:1)")
