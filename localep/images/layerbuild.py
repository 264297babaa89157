"""Running planned package layers: a container per layer with the package cache mounted, committed on success.

Output streams live (one progress line per output line); a failure raises with the layer's own output, and the
container goes away whatever happens (also on Ctrl-C).
"""

from __future__ import annotations

import io
import tarfile
from typing import Any, Dict, List

import docker
import docker.errors

from localep import __version__
from localep.errors import BuildError
from localep.images.layers import WORK_DIR, PlannedLayer, build_environment
from localep.images.packagecache import LABEL_BUILD_CONTAINER, cache_mount, ensure_volume
from localep.images.settings import BuildSettings
from localep.progress import Reporter
from localep.spec.model import Deployment

LABEL_LAYER = "localep.layer"
FAILURE_LINES = 60


def ensure_layers(client: docker.DockerClient, planned: List[PlannedLayer], parent: str, settings: BuildSettings,
                  reporter: Reporter, deployment: Deployment) -> str:
    """Reuse or build each layer in turn; the tag of the top one (or `parent` when there are none)."""
    for index, layer in enumerate(planned, 1):
        where = f"layer {index}/{len(planned)} ({layer.layer.name})"
        if not settings.rebuild and _exists(client, layer.tag):
            reporter.detail(f"{where}: unchanged, reused {layer.tag}")
        else:
            reporter.detail(f"{where}: installing with {settings.installer}")
            _build_layer(client, layer, parent, settings, reporter, deployment, where)
        parent = layer.tag
    return parent


def _exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _build_layer(client: docker.DockerClient, layer: PlannedLayer, parent: str, settings: BuildSettings,
                 reporter: Reporter, deployment: Deployment, where: str) -> None:
    api = client.api
    parent_config = api.inspect_image(parent)["Config"] or {}
    volume = ensure_volume(client, settings.package_cache)
    container = api.create_container(
        parent, entrypoint=["/bin/sh", f"{WORK_DIR}/install.sh"], command=[], user="0", working_dir="/",
        labels={LABEL_BUILD_CONTAINER: "true"},
        host_config=api.create_host_config(mounts=[cache_mount(volume)]),
    )["Id"]
    try:
        api.put_archive(container, "/", _work_files(layer, settings))
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
        repository, _, tag = layer.tag.rpartition(":")
        api.commit(container, repository=repository, tag=tag, conf=_commit_config(parent_config, layer))
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


def _commit_config(parent_config: Dict[str, Any], layer: PlannedLayer) -> Dict[str, Any]:
    """The parent's own config (entrypoint, command, user, environment), not the install container's.

    The engine fills empty fields of the committed config from the container, so an absent entrypoint is spelled
    as an empty list: the image must not start the (deleted) install script.
    """
    config = dict(parent_config)
    config["Entrypoint"] = parent_config.get("Entrypoint") or []
    config["Cmd"] = parent_config.get("Cmd") or []
    config["Labels"] = {**(parent_config.get("Labels") or {}), LABEL_LAYER: layer.layer.name,
                        "localep.version": __version__}
    return config


def _work_files(layer: PlannedLayer, settings: BuildSettings) -> bytes:
    """/tmp/localep in the container: the script, the build's settings, the CA bundle and the layer's files."""
    files: Dict[str, bytes] = {"install.sh": layer.script.encode(),
                               "build-env.sh": build_environment(settings.build_args()).encode()}
    files.update(layer.files)
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
