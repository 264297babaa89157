"""Environment -> runnable image: reuse a cached tag, else probe the base image, render and build with progress."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import docker
import docker.errors
from docker.models.images import Image

from localep import __version__
from localep.errors import BuildError
from localep.images import templates
from localep.images.cache import environment_key, image_tag
from localep.images.kinds import kind_named, kind_running_as_is, needs_base_facts, select_kind
from localep.images.kinds.base import BaseImageFacts, EnvironmentKind, Recipe, ServerSpec
from localep.images.layerbuild import ensure_layers, finish_image, stop_if_cancelled
from localep.images.layers import plan_layers
from localep.images.settings import BuildSettings
from localep.images.usage import known_base_facts, record_use, remember_base_facts
from localep.progress import Reporter, Stopwatch
from localep.yamlspec.model import BATCH_KIND, DeploymentAssets, Environment

SERVER_ADDED_MARKER = "LOCALEP_SERVER_ADDED"
LABEL_KIND = "localep.kind"
LABEL_KEY = "localep.env-key"
LABEL_SERVER_ADDED = "localep.server-added"
LABEL_WARNINGS = "localep.warnings"
LABEL_INSTALLER = "localep.installer"
LABEL_LAYERS = "localep.layers"
LABEL_BASE = "localep.base-image"
_TAG_LOCKS: Dict[str, threading.Lock] = {}
_TAG_LOCKS_GUARD = threading.Lock()
STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)")
PROBE_SCRIPT = (
    "for c in mamba micromamba conda /opt/conda/bin/conda /opt/miniconda/bin/conda; do "
    "command -v $c >/dev/null 2>&1 && { command -v $c; break; }; done; echo '--'; "
    "(python3 --version || python --version) 2>&1"
)


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    kind: str
    server: ServerSpec
    cached: bool
    warnings: List[str] = field(default_factory=list)


def ensure_image(
    client: docker.DockerClient, deployment: DeploymentAssets, settings: BuildSettings, reporter: Reporter
) -> BuiltImage:
    env = deployment.environment
    assert env is not None, "the spec loader guarantees an environment for runnable deployments"
    kind = kind_running_as_is(env)
    if kind is not None:
        ensure_base_image(client, deployment, settings, reporter)
        return BuiltImage(tag=env.image or "", kind=kind.name, server=kind.server(env), cached=True)
    image, layers = _ensure_image_once(client, deployment, settings, reporter)
    deployment_file = deployment.location().file
    try:
        record_use(image.tag, deployment_file, layers)
    except OSError as error:  # the image is fine; only `localep images`/`prune` lose track of it
        reporter.warn(f"cannot record that {deployment_file} uses {image.tag}: {error}")
    return image


def _ensure_image_once(client: docker.DockerClient, deployment: DeploymentAssets, settings: BuildSettings,
                       reporter: Reporter) -> Tuple[BuiltImage, List[str]]:
    """Deployments built in parallel that share an environment build it once: the others wait, then reuse it."""
    env = deployment.environment
    assert env is not None
    base_id = ensure_base_image(client, deployment, settings, reporter) if env.build is None else None
    tag = image_tag(environment_key(env, base_id, settings.installer))
    with _TAG_LOCKS_GUARD:
        lock = _TAG_LOCKS.setdefault(tag, threading.Lock())
    with lock:
        return _ensure_image(client, deployment, settings, reporter, base_id, tag)


def _ensure_image(client: docker.DockerClient, deployment: DeploymentAssets, settings: BuildSettings, reporter: Reporter,
                  base_id: Optional[str], tag: str) -> Tuple[BuiltImage, List[str]]:
    """The image and the package layers under it (recorded for prune)."""
    env = deployment.environment
    assert env is not None
    existing = None if settings.rebuild else _local_image(client, tag)
    if existing is not None:
        return _cached_image(existing, deployment, env, tag)
    base = None
    if needs_base_facts(env):
        assert env.image is not None and base_id is not None
        base = probe_base_image(client, env.image, base_id)
    kind = select_kind(env, base)
    watch = Stopwatch()
    reporter.step(f"building {tag} ({kind.name} environment) for {deployment.name}")
    base_for_recipe = _recipe_base(client, reporter, deployment, kind, base, base_id, tag, settings)
    recipe = kind.recipe(env, base_for_recipe)
    assert recipe is not None
    for warning in recipe.warnings:
        reporter.warn(warning)
    server = kind.server(env)
    planned = plan_layers(recipe.layers, base_for_recipe.image_id, settings.installer)
    top = ensure_layers(client, planned, base_for_recipe.image_id, settings, reporter, deployment)
    layers = [layer.tag for layer in planned]
    labels = {LABEL_KIND: kind.name, LABEL_KEY: tag, LABEL_WARNINGS: json.dumps(recipe.warnings),
              LABEL_INSTALLER: settings.installer if planned else "", LABEL_LAYERS: json.dumps(layers),
              LABEL_BASE: base_for_recipe.image_id, "localep.version": __version__}
    if planned and server.localep_layer and not recipe.body.strip():
        output = "\n".join(finish_image(client, top, tag, labels, settings, reporter, deployment))
    else:
        bodies = [recipe.body] + ([templates.render("server.Dockerfile")] if server.localep_layer else [])
        dockerfile = templates.dockerfile(top if planned else base_for_recipe.image, *bodies)
        output = _run_build(client, reporter, deployment, tag, fileobj=_context_tar(dockerfile, _recipe_files(recipe, settings)),
                            settings=settings, labels=labels)
    warnings = list(recipe.warnings)
    server_added = SERVER_ADDED_MARKER in (line.strip() for line in output.splitlines())
    if server_added and deployment.kind != BATCH_KIND:
        warnings.append(_server_added_warning(deployment))
        reporter.warn(warnings[-1])
        _label_server_added(client, tag)
    reporter.step(f"built {tag} in {watch}")
    return BuiltImage(tag=tag, kind=kind.name, server=server, cached=False, warnings=warnings), layers


def _cached_image(existing: Image, deployment: DeploymentAssets, env: Environment, tag: str) -> Tuple[BuiltImage, List[str]]:
    """An image built before, described by its labels (kind, warnings, layers)."""
    kind = kind_named(existing.labels.get(LABEL_KIND, ""))
    warnings = json.loads(existing.labels.get(LABEL_WARNINGS, "[]"))
    if existing.labels.get(LABEL_SERVER_ADDED) and deployment.kind != BATCH_KIND:
        warnings.append(_server_added_warning(deployment))
    layers = json.loads(existing.labels.get(LABEL_LAYERS, "[]"))
    return BuiltImage(tag=tag, kind=kind.name, server=kind.server(env), cached=True, warnings=warnings), layers


def _recipe_base(client: docker.DockerClient, reporter: Reporter, deployment: DeploymentAssets, kind: EnvironmentKind,
                 base: Optional[BaseImageFacts], base_id: Optional[str], tag: str, settings: BuildSettings
                 ) -> BaseImageFacts:
    """What the kind's recipe builds on: the user's own Docker build when the kind has one, else the base image."""
    env = deployment.environment
    assert env is not None
    context = kind.user_context(env)
    if context is not None:
        user_tag = f"{tag}-context"
        _run_build(client, reporter, deployment, user_tag, path=context.path, dockerfile=context.dockerfile_path,
                   settings=settings)
        return BaseImageFacts(image=user_tag, image_id=user_tag)
    if base is not None:
        return base
    assert env.image is not None and base_id is not None
    return BaseImageFacts(image=env.image, image_id=base_id)


def _recipe_files(recipe: Recipe, settings: BuildSettings) -> Dict[str, bytes]:
    files = dict(recipe.files)
    if settings.ca_bundle:
        files["ca.crt"] = settings.ca_bundle.read_bytes()
    return files


def debug_image(client: docker.DockerClient, image: BuiltImage, settings: BuildSettings, reporter: Reporter,
                deployment: DeploymentAssets) -> str:
    """The environment image plus debugpy, built once per environment image."""
    tag = f"{image.tag}-debug"
    if _local_image(client, tag) is None:
        reporter.step(f"adding debugpy to {image.tag}")
        dockerfile = templates.dockerfile(image.tag, templates.render("debug.Dockerfile"))
        files = {"ca.crt": settings.ca_bundle.read_bytes()} if settings.ca_bundle else {}
        _run_build(client, reporter, deployment, tag, fileobj=_context_tar(dockerfile, files), settings=settings,
                   labels={"localep.version": __version__})
    return tag


def _server_added_warning(deployment: DeploymentAssets) -> str:
    """Online deployments only: batch scoring does not use the inference server."""
    env = deployment.environment
    if env is not None and env.generated_for is not None:
        return (
            f"{deployment.location('model.path')}: the model's environment lacks azureml-inference-server-http; "
            "localep added it in a separate layer, as the cloud's MLflow image does when the container starts"
        )
    return (
        f"{deployment.location('environment')}: the environment lacks azureml-inference-server-http; localep added "
        "it in a separate layer, but the cloud deployment would fail without it: add it to the conda file's pip list"
    )


def _label_server_added(client: docker.DockerClient, tag: str) -> None:
    """Remember on the image that the server was added, so warm runs repeat the warning without rebuilding."""
    stream = client.api.build(fileobj=_context_tar(f"FROM {tag}\n", {}), custom_context=True, tag=tag, rm=True,
                              forcerm=True, decode=True, labels={LABEL_SERVER_ADDED: "true"})
    for _ in stream:
        pass


def ensure_base_image(
    client: docker.DockerClient, deployment: DeploymentAssets, settings: BuildSettings, reporter: Reporter
) -> str:
    env = deployment.environment
    assert env is not None and env.image is not None
    name = env.image
    where = deployment.location("environment.image")
    local = _local_image(client, name)
    if settings.pull == "never" or (settings.pull == "missing" and local is not None):
        if local is None and env.generated_server is not None:
            raise BuildError(f"{env.generated_server.image_help} (--pull never forbids pulling it)",
                             deployment.location("model"))
        if local is None:
            raise BuildError(f"base image {name} is not on this machine and --pull never forbids pulling it", where)
        return local.id
    reporter.step(f"pulling {name}")
    try:
        repository, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
        pulled = client.images.pull(repository, tag=tag or "latest")
        return pulled.id
    except docker.errors.APIError as error:
        hint = (
            "no registry reachable? build or load the image locally (e.g. `docker load`, or debootstrap + "
            "`docker import`), tag it with this name, and use --pull missing"
        )
        if env.generated_server is not None:
            raise BuildError(f"{env.generated_server.image_help} (pull: {error.explanation or error})",
                             deployment.location("model")) from None
        raise BuildError(f"cannot pull base image {name}: {error.explanation or error}; {hint}", where) from None


def probe_base_image(client: docker.DockerClient, image: str, image_id: str) -> BaseImageFacts:
    """Run the base image once to learn whether it has conda and which python it ships (remembered by image id,
    which names the content, so later builds on the same base skip the container)."""
    known = known_base_facts(image_id)
    if known is not None:
        return dataclasses.replace(known, image=image)
    facts = _probe(client, image, image_id)
    remember_base_facts(facts)
    return facts


def _probe(client: docker.DockerClient, image: str, image_id: str) -> BaseImageFacts:
    try:
        output = client.containers.run(image_id, entrypoint=["/bin/sh", "-c"], command=[PROBE_SCRIPT],
                                       remove=True, network_disabled=True).decode(errors="replace")
    except docker.errors.ContainerError:
        return BaseImageFacts(image=image, image_id=image_id)
    conda_part, _, python_part = output.partition("--")
    conda = conda_part.strip().splitlines()[-1] if conda_part.strip() else None
    match = re.search(r"Python (\d+\.\d+(\.\d+)?)", python_part)
    return BaseImageFacts(image=image, image_id=image_id, conda=conda, python_version=match.group(1) if match else None)


def _local_image(client: docker.DockerClient, name: str):
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def _context_tar(dockerfile: str, files: Dict[str, bytes]) -> io.BytesIO:
    """A generated build context: the Dockerfile and localep/<files> (the header COPYs that folder)."""
    buffer = io.BytesIO()
    entries = {"Dockerfile": dockerfile.encode(), "localep/.keep": b""}
    entries.update({f"localep/{name}": content for name, content in files.items()})
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in sorted(entries.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    return buffer


def _run_build(client: docker.DockerClient, reporter: Reporter, deployment: DeploymentAssets, tag: str,
               settings: BuildSettings, path: Optional[Path] = None, dockerfile: str = "Dockerfile",
               fileobj: Optional[io.BytesIO] = None, labels: Optional[Dict[str, str]] = None) -> str:
    """Stream a classic-builder build; on failure raise with the failing step's own output."""
    kwargs = dict(tag=tag, rm=True, forcerm=True, pull=False, decode=True, buildargs=settings.build_args(),
                  labels=labels or {}, nocache=settings.rebuild)
    if fileobj is not None:
        stream = client.api.build(fileobj=fileobj, custom_context=True, **kwargs)
    else:
        stream = client.api.build(path=str(path), dockerfile=dockerfile, **kwargs)
    return follow_build(stream, reporter, deployment)


def follow_build(stream: Iterable[dict], reporter: Reporter, deployment: DeploymentAssets) -> str:
    step_header = ""
    step_output: List[str] = []
    everything: List[str] = []
    try:
        for chunk in stream:
            stop_if_cancelled()
            if "error" in chunk:
                detail = "\n".join(step_output[-60:])
                raise BuildError(
                    f"image build failed at {step_header or 'the first step'}: {chunk['error'].strip()}",
                    deployment.location("environment"),
                    detail=f"--- output of the failing step ---\n{detail}" if detail else "",
                )
            for line in chunk.get("stream", "").splitlines():
                if not line.strip():
                    continue
                everything.append(line)
                match = STEP.match(line)
                if match:
                    step_header = f"step {match.group(1)}/{match.group(2)} ({match.group(3)[:80]})"
                    step_output = []
                    reporter.detail(f"step {match.group(1)}/{match.group(2)}: {match.group(3)[:120]}")
                elif not line.startswith((" ---> ", "Removing intermediate container", "Successfully")):
                    step_output.append(line)
                    reporter.detail("  " + line[:160])
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    return "\n".join(everything)
