"""Running planned package layers: a container per layer with the package cache mounted, committed on success.

Output streams live (one progress line per output line); a failure raises with the layer's own output, and the
container goes away whatever happens (also on Ctrl-C).
"""

from __future__ import annotations

import io
import tarfile
import threading
import uuid
from typing import Any, Dict, List

import docker
import docker.errors

from localep import __version__
from localep.errors import BuildError
from localep.images import templates
from localep.images.kinds.base import ENVIRONMENT_PREFIX
from localep.images.layers import OFFLINE_NOTICE, WORK_DIR, PlannedLayer, build_environment, finish_script
from localep.images.packagecache import cache_mount, ensure_volume
from localep.images.settings import BuildSettings
from localep.progress import Reporter
from localep.yamlspec.model import DeploymentAssets

BUILD_CONTAINER_PREFIX = "localep-build-"
FAILURE_LINES = 60
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # the engine's, for images without
# Set when one of several parallel builds failed or the user pressed Ctrl-C: the others stop at their next line.
BUILDS_CANCELLED = threading.Event()


def stop_if_cancelled() -> None:
    if BUILDS_CANCELLED.is_set():
        raise BuildError("build stopped: another build of this command failed or was interrupted")


def ensure_layers(client: docker.DockerClient, planned: List[PlannedLayer], parent: str, settings: BuildSettings,
                  reporter: Reporter, deployment: DeploymentAssets) -> str:
    """Reuse or build each layer in turn; the tag of the top one (or `parent` when there are none)."""
    offline = False
    for index, layer in enumerate(planned, 1):
        where = f"layer {index}/{len(planned)} ({layer.layer.name})"
        if not settings.rebuild and _exists(client, layer.tag):
            reporter.detail(f"{where}: unchanged, reused {layer.tag}")
        else:
            reporter.detail(f"{where}: installing with {settings.installer}")
            output = _build_layer(client, layer, parent, settings, reporter, deployment, where, offline)
            offline = offline or OFFLINE_NOTICE in output
        parent = layer.tag
    return parent


def _exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _build_layer(client: docker.DockerClient, layer: PlannedLayer, parent: str, settings: BuildSettings,
                 reporter: Reporter, deployment: DeploymentAssets, where: str, offline: bool) -> List[str]:
    parent_config = client.api.inspect_image(parent)["Config"] or {}
    labels = {**(parent_config.get("Labels") or {}), "localep.version": __version__}
    return _run_and_commit(client, parent, layer.script, layer.files, layer.tag, _commit_config(parent_config, labels),
                           settings, reporter, deployment, where, offline)


def finish_image(client: docker.DockerClient, parent: str, tag: str, labels: Dict[str, str],
                 settings: BuildSettings, reporter: Reporter, deployment: DeploymentAssets) -> List[str]:
    """The environment image itself: the server step on top of the layers, committed with the environment's
    bin first on PATH and the image's labels (no Dockerfile build: each of its steps would cost a container)."""
    parent_config = client.api.inspect_image(parent)["Config"] or {}
    config = _commit_config(parent_config, {**(parent_config.get("Labels") or {}), **labels})
    config["Env"] = with_environment_path(parent_config.get("Env") or [])
    script = finish_script(templates.run_script("server.Dockerfile"))
    return _run_and_commit(client, parent, script, {}, tag, config, settings, reporter, deployment,
                           "the server step", offline=False)


def with_environment_path(env: List[str]) -> List[str]:
    """ENVIRONMENT_PREFIX/bin before the image's PATH (the engine's default PATH when the image sets none)."""
    rest = [item for item in env if not item.startswith("PATH=")]
    path = next((item[len("PATH="):] for item in env if item.startswith("PATH=")), DEFAULT_PATH)
    return [f"PATH={ENVIRONMENT_PREFIX}/bin:{path}", *rest]


def _run_and_commit(client: docker.DockerClient, parent: str, script: str, files: Dict[str, bytes], tag: str,
                    config: Dict[str, Any], settings: BuildSettings, reporter: Reporter, deployment: DeploymentAssets,
                    where: str, offline: bool) -> List[str]:
    """Labels on the container would end up in the image (the engine merges them in), so the container is known
    by its name, and it runs with the committed config's environment (PATH) without adding to it."""
    api = client.api
    volume = ensure_volume(client, settings.package_cache)
    container = api.create_container(
        parent, entrypoint=["/bin/sh", f"{WORK_DIR}/install.sh"], command=[], user="0", working_dir="/",
        environment=config.get("Env") or None, name=f"{BUILD_CONTAINER_PREFIX}{uuid.uuid4().hex[:12]}",
        host_config=api.create_host_config(mounts=[cache_mount(volume)]),
    )["Id"]
    try:
        api.put_archive(container, "/", _work_files(script, files, settings, offline))
        api.start(container)
        output = _follow(api.logs(container, stream=True, follow=True), reporter)
        status = api.wait(container).get("StatusCode", 1)
        if status != 0:
            detail = "\n".join(output[-FAILURE_LINES:])
            raise BuildError(
                f"image build failed at {where}: the install exited with status {status}",
                deployment.location("environment"),
                detail=f"--- output of the failing step ---\n{detail}" if detail else "",
            )
        repository, _, name = tag.rpartition(":")
        api.commit(container, repository=repository, tag=name, conf=config)
        return output
    finally:
        try:
            api.remove_container(container, force=True)
        except docker.errors.NotFound:
            pass


def _follow(stream: Any, reporter: Reporter) -> List[str]:
    """Log chunks are not lines: split them, print each line as it completes, keep them for a failure report."""
    lines: List[str] = []
    pending = b""
    for chunk in stream:
        stop_if_cancelled()
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace").rstrip("\r")
            if line.strip():
                lines.append(line)
                reporter.detail("  " + line[:160])
    if pending.strip():
        lines.append(pending.decode(errors="replace"))
        reporter.detail("  " + lines[-1][:160])
    return lines


def _commit_config(parent_config: Dict[str, Any], labels: Dict[str, str]) -> Dict[str, Any]:
    """The parent's own config (entrypoint, command, user, environment), not the install container's.

    The engine fills empty fields of the committed config from the container, so an absent entrypoint is spelled
    as an empty list: the image must not start the (deleted) install script.
    """
    config = dict(parent_config)
    config["Entrypoint"] = parent_config.get("Entrypoint") or []
    config["Cmd"] = parent_config.get("Cmd") or []
    config["Labels"] = dict(labels)
    return config


def _work_files(script: str, layer_files: Dict[str, bytes], settings: BuildSettings, offline: bool) -> bytes:
    """/tmp/localep in the container: the script, the build's settings, the CA bundle and the layer's files."""
    files: Dict[str, bytes] = {"install.sh": script.encode(),
                               "build-env.sh": build_environment(settings.build_args(), offline).encode()}
    files.update(layer_files)
    if settings.ca_bundle:
        files["ca.crt"] = settings.ca_bundle.read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        folder = tarfile.TarInfo(WORK_DIR.lstrip("/"))
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o755
        archive.addfile(folder)
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(f"{WORK_DIR.lstrip('/')}/{name}")
            info.size = len(content)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
