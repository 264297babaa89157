"""Deployment + its environment image -> what the portable image holds (pure, unit-tested without Docker).

The container gets exactly what `localep up` gives a deployment's container, except that code and model are
copied (not mounted) to the cloud's paths and the inference server is the command itself (no agent: an image
that ships does not reload code).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, Iterator, List, Optional, Tuple

from localep import __version__
from localep.batch.channel import WORKER_SCRIPT_IN_CONTAINER, WORKER_SCRIPT_ON_HOST
from localep.batch.inputs import INPUT_IN_CONTAINER
from localep.batch.layout import OUTPUT_IN_CONTAINER
from localep.batch.plan import script_in_container
from localep.errors import BuildError
from localep.images.cache import SKIPPED_CONTEXT_DIRS
from localep.images.kinds.base import PYTHON_IN_CONTAINER, ServerSpec
from localep.runtime.plan import code_mount, model_mount, plan_container
from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.model import Deployment

LABEL_PREFIX = "localep.package."
LABEL_SOURCE = LABEL_PREFIX + "source"
LABEL_SOURCE_SHA256 = LABEL_PREFIX + "source-sha256"
LABEL_HASH = LABEL_PREFIX + "content-hash"
LABEL_ENDPOINT = LABEL_PREFIX + "endpoint"
LABEL_DEPLOYMENT = LABEL_PREFIX + "deployment"
LABEL_PORT = LABEL_PREFIX + "port"
LABEL_SCORING_PATH = LABEL_PREFIX + "scoring-path"
LABEL_LIVENESS_PATH = LABEL_PREFIX + "liveness-path"
LABEL_READINESS_PATH = LABEL_PREFIX + "readiness-path"
LABEL_VERSION = "localep.version"
# Labels the environment image passes down that may name files on the machine that built it: blanked.
INHERITED_LABELS_BLANKED = ("localep.warnings",)
CHUNK = 1 << 20
SHARD_ON_HOST = WORKER_SCRIPT_ON_HOST.parent / "shard.py"
SHARD_IN_CONTAINER = "/opt/localep/batch_shard.py"
# What a cluster mounts for a batch image: the folder holding its inputs (inputs/data) and output (outputs/score).
BATCH_VOLUME = os.path.commonpath([str(INPUT_IN_CONTAINER), str(OUTPUT_IN_CONTAINER)])


@dataclass(frozen=True)
class Copy:
    """A file or folder of the user's, copied to `target` in the image, in its own layer named `layer`."""

    source: Path
    target: PurePosixPath
    layer: str


@dataclass(frozen=True)
class PackageRecipe:
    deployment: str
    endpoint: str
    source_file: Path
    copies: Tuple[Copy, ...]
    environment: Dict[str, str]
    command: Tuple[str, ...]
    server: Optional[ServerSpec]  # None for a batch driver, which serves nothing


@dataclass(frozen=True)
class FileEntry:
    """One regular file of a copy: its path in the image, mode bits and content digest."""

    source: Path
    target: PurePosixPath
    executable: bool
    digest: str


def plan_package(deployment: Deployment, base_image: str, server: ServerSpec) -> PackageRecipe:
    """The model goes first: it changes least, so an edit to the code rebuilds only the code layer."""
    plan = plan_container(deployment, base_image, server, host_port=None)
    copies: List[Copy] = []
    model = deployment.model
    if model is not None and model.path is not None:
        _, mount = model_mount(model, deployment.model_mount_path)
        copies.append(Copy(mount.source, PurePosixPath(mount.target), "model"))
    code = deployment.code_configuration
    if code is not None:
        mount = code_mount(code)
        copies.append(Copy(mount.source, PurePosixPath(mount.target), "code"))
    environment = dict(plan.environment)
    command = tuple(server.argv(environment))
    return PackageRecipe(
        deployment=deployment.name,
        endpoint=deployment.endpoint_name,
        source_file=deployment.file,
        copies=tuple(copies),
        environment=environment,
        command=command,
        server=server,
    )


def file_entries(copy: Copy) -> Iterator[FileEntry]:
    """Every regular file of a copy in a stable order; symlinks are followed, as a bind mount shows them."""
    if copy.source.is_file():
        yield _entry(copy.source, copy.target)
        return
    for folder, dirs, files in os.walk(copy.source, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_CONTEXT_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file():
                yield _entry(path, copy.target / path.relative_to(copy.source).as_posix())


def _entry(path: Path, target: PurePosixPath) -> FileEntry:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return FileEntry(path, target, os.access(path, os.X_OK), digest.hexdigest())


def content_hash(recipe: PackageRecipe, base_image_id: str, entries: List[FileEntry]) -> str:
    """Names everything the image holds: the environment image, every copied file (path, mode, bytes), the
    variables, the command and the localep version; not where the files came from on this machine."""
    description = {
        "localep": __version__,
        "base": base_image_id,
        "files": [[str(e.target), e.executable, e.digest] for e in entries],
        "environment": sorted(recipe.environment.items()),
        "command": list(recipe.command),
        "port": recipe.server.port if recipe.server else None,
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def image_labels(recipe: PackageRecipe, digest: str) -> Dict[str, str]:
    """What went in, for `docker inspect`: the source file by name only (no host path) and its own digest."""
    labels = {
        LABEL_SOURCE: recipe.source_file.name,
        LABEL_SOURCE_SHA256: hashlib.sha256(recipe.source_file.read_bytes()).hexdigest(),
        LABEL_HASH: digest,
        LABEL_ENDPOINT: recipe.endpoint,
        LABEL_DEPLOYMENT: recipe.deployment,
        LABEL_VERSION: __version__,
    }
    if recipe.server is not None:
        labels.update({LABEL_PORT: str(recipe.server.port), LABEL_SCORING_PATH: recipe.server.scoring_path,
                       LABEL_LIVENESS_PATH: recipe.server.liveness_path,
                       LABEL_READINESS_PATH: recipe.server.readiness_path})
    labels.update({name: "" for name in INHERITED_LABELS_BLANKED})
    return labels


def dockerfile(recipe: PackageRecipe, base_image_id: str, labels: Dict[str, str]) -> str:
    """One COPY per layer of the context, then the variables, the server command (exec form, JSON-quoted) and the
    labels; each instruction is one build step (a container on the classic builder), so there are few."""
    lines = [f"FROM {base_image_id}"]
    for layer in _layers(recipe):
        lines.append(f"COPY {layer}/ /")
    if recipe.environment:
        lines.append("ENV " + " ".join(f"{name}={_quoted(name, value)}" for name, value in sorted(recipe.environment.items())))
    if recipe.server is not None:
        lines.append(f"EXPOSE {recipe.server.port}")
    if recipe.command:
        # CMD only: the image's own entrypoint stays, as it does for `localep up` (NVIDIA's Triton image needs it).
        lines.append("CMD " + json.dumps(list(recipe.command)))
    lines.append("LABEL " + " ".join(f"{name}={_quoted(name, value)}" for name, value in sorted(labels.items())))
    return "\n".join(lines) + "\n"


def _quoted(name: str, value: str) -> str:
    """A Dockerfile ENV or LABEL value, taken literally: quotes, backslashes and `$` (which ENV would expand) escaped."""
    if "\n" in value or "\r" in value:
        raise BuildError(f"environment variable {name}: a value baked into an image cannot hold a line break")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _layers(recipe: PackageRecipe) -> List[str]:
    seen: List[str] = []
    for copy in recipe.copies:
        if copy.layer not in seen:
            seen.append(copy.layer)
    return seen


def context_name(copy: Copy, target: PurePosixPath) -> str:
    """Where a file sits in the build context: under its layer, at its path in the image."""
    return f"{copy.layer}{target}"


def plan_batch_package(deployment: BatchDeployment) -> PackageRecipe:
    """A batch deployment's image for a Kubernetes Indexed Job: code and model where `localep batch run` mounts
    them, the in-pod driver (shard.py beside the worker) as the command with the deployment's settings; inputs
    and outputs on a volume mounted at /mnt/batch (inputs/data, outputs/score)."""
    copies = [Copy(WORKER_SCRIPT_ON_HOST, PurePosixPath(WORKER_SCRIPT_IN_CONTAINER), "driver"),
              Copy(SHARD_ON_HOST, PurePosixPath(SHARD_IN_CONTAINER), "driver")]
    env: Dict[str, str] = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    model = deployment.model
    if model is not None and model.path is not None:
        model_dir, mount = model_mount(model)
        copies.insert(0, Copy(mount.source, PurePosixPath(mount.target), "model"))
        env["AZUREML_MODEL_DIR"] = model_dir
    code = deployment.code_configuration
    assert code is not None, "the spec loader guarantees code_configuration for runnable batch deployments"
    copies.insert(-2, Copy(code.code, PurePosixPath(code_mount(code).target), "code"))
    script = PurePosixPath(script_in_container(deployment))
    env.update({"AML_APP_ROOT": str(script.parent), "AZUREML_ENTRY_SCRIPT": script.name})
    env.update(deployment.settings.environment_variables)
    env["AZUREML_BI_OUTPUT_PATH"] = str(OUTPUT_IN_CONTAINER)
    return PackageRecipe(deployment=deployment.name, endpoint=deployment.endpoint_name, source_file=deployment.file,
                         copies=tuple(copies), environment=env,
                         command=tuple(batch_command(deployment)), server=None)


def batch_command(deployment: BatchDeployment) -> List[str]:
    settings = deployment.settings
    code = deployment.code_configuration
    assert code is not None
    return [PYTHON_IN_CONTAINER, SHARD_IN_CONTAINER, "--input", str(INPUT_IN_CONTAINER),
            "--output", str(OUTPUT_IN_CONTAINER), "--count", str(deployment.instance_count),
            "--workers", str(settings.max_concurrency_per_instance), "--script", script_in_container(deployment),
            "--code", code_mount(code).target, "--mini-batch-size", str(settings.mini_batch_size),
            "--output-action", settings.output_action, "--output-file-name", settings.output_file_name,
            "--max-retries", str(settings.retry_settings.max_retries),
            "--timeout", str(settings.retry_settings.timeout), "--error-threshold", str(settings.error_threshold),
            "--logging-level", settings.logging_level]
