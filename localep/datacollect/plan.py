"""Where a deployment's collections go and what its containers and its endpoint need to collect them (pure,
except `prepare_folders` and `register_data_assets`, which `up` calls before starting containers).

Datastores live under `$LOCALEP_HOME/datastores/<datastore>/paths/...`, the cloud's
`azureml://datastores/<datastore>/paths/...`: by default
`workspaceblobstore/paths/modelDataCollector/<endpoint>/<deployment>/<collection>/`.
Custom collections (score.py's `Collector`) are written in the container by the receiver, into that folder
bind-mounted read-write; `request`/`response` are written by the endpoint on the host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

from localep import registry
from localep.datacollect.events import event_source
from localep.datacollect.payload import PayloadLogging, payload_writer
from localep.datacollect.receiver import CollectionSettings, ReceiverSettings
from localep.errors import LocalepError
from localep.fileio import make_dirs
from localep.paths import home
from localep.progress import Reporter
from localep.yamlspec.datacollector import REQUEST, RESPONSE, Collection
from localep.yamlspec.model import Deployment

DATASTORES = "datastores"
RECEIVER_PORT = 50011  # azureml-ai-monitoring's default
FOLDERS_IN_CONTAINER = PurePosixPath("/var/localep/datacollect")
CONFIG_IN_CONTAINER = "/tmp/localep-datacollect/config.json"
_HERE = Path(__file__).resolve().parent
# The receiver runs in the agent's process; these stdlib-only modules are mounted beside the agent.
CODE_FILES = ((_HERE / "events.py", "/opt/localep/datacollect_events.py"),
              (_HERE / "receiver.py", "/opt/localep/datacollect_receiver.py"))


def datastores_root() -> Path:
    return home() / DATASTORES


def collection_folder(deployment: Deployment, collection: Collection, root: Optional[Path] = None) -> Path:
    folder = collection.folder(deployment.endpoint_name, deployment.name)
    return (root or datastores_root()) / collection.datastore / "paths" / Path(*folder.split("/"))


def collection_folders(deployment: Deployment, root: Optional[Path] = None) -> Dict[str, Path]:
    """Enabled collection name -> its folder on this machine (what `up` prints and `ps --json` shows)."""
    collector = deployment.data_collector
    if collector is None:
        return {}
    return {c.name: collection_folder(deployment, c, root) for c in collector.enabled()}


def sample_percentage(rate: float) -> int:
    """`sampling_rate` 0.0-1.0 as the package's whole `sampleRatePercentage`."""
    return max(0, min(100, round(rate * 100)))


@dataclass(frozen=True)
class ContainerCollection:
    """What one container needs: read-write folders, the receiver's code files, variables and settings."""

    folders: List[Tuple[Path, str]]
    code_files: Tuple[Tuple[Path, str], ...]
    environment: Dict[str, str]
    receiver_settings: str


def container_collection(deployment: Deployment, writer: str, root: Optional[Path] = None) -> Optional[ContainerCollection]:
    """None without a data_collector. With one, the package is configured even when no custom collection is
    enabled, so a Collector for a disabled collection drops (and tells its on_error) exactly as in the cloud."""
    collector = deployment.data_collector
    if collector is None:
        return None
    percentage = sample_percentage(collector.sampling_rate)
    folders: List[Tuple[Path, str]] = []
    settings: Dict[str, CollectionSettings] = {}
    for index, collection in enumerate(collector.collections):
        target = ""
        if collection.enabled and not collection.payload:
            target = str(FOLDERS_IN_CONTAINER / str(index))
            folders.append((collection_folder(deployment, collection, root), target))
        settings[collection.name] = CollectionSettings(target, collection.enabled, percentage)
    receiver = ReceiverSettings(
        port=RECEIVER_PORT,
        source=event_source(deployment.endpoint_name, deployment.name),
        writer=writer,
        rolling_rate=collector.rolling_rate,
        config_path=CONFIG_IN_CONTAINER,
        collections=settings,
        owner=(os.getuid(), os.getgid()),
    )
    environment = {
        "AZUREML_MDC_CONFIG_PATH": CONFIG_IN_CONTAINER,
        "AZUREML_MDC_HOST": "127.0.0.1",
        "AZUREML_MDC_PORT": str(RECEIVER_PORT),
    }
    return ContainerCollection(folders, CODE_FILES, environment, receiver.to_json())


def payload_logging(deployment: Deployment, root: Optional[Path] = None) -> Optional[PayloadLogging]:
    """The endpoint's part: None unless `request` or `response` is enabled."""
    collector = deployment.data_collector
    if collector is None:
        return None
    enabled = {c.name.lower(): str(collection_folder(deployment, c, root)) for c in collector.enabled(payload=True)}
    if not enabled:
        return None
    return PayloadLogging(
        source=event_source(deployment.endpoint_name, deployment.name),
        rolling_rate=collector.rolling_rate,
        sampling_rate=collector.sampling_rate,
        request_folder=enabled.get(REQUEST),
        response_folder=enabled.get(RESPONSE),
        capture_headers=list(collector.capture_headers),
        writer=payload_writer(deployment.endpoint_name),
    )


def prepare_folders(deployment: Deployment) -> Dict[str, Path]:
    """Create the enabled collections' folders (owner-only) before a container mounts them."""
    folders = collection_folders(deployment)
    for folder in folders.values():
        make_dirs(folder, private=True)
    return folders


def prepare_collection(deployment: Deployment, runs_receiver: bool, reporter: Reporter) -> Dict[str, Path]:
    """Before `up` starts a deployment's containers: folders, data assets, and where each collection goes."""
    folders = prepare_folders(deployment)
    for reference in register_data_assets(deployment):
        reporter.step(f"{deployment.name}: registered data asset {reference}")
    for name, folder in folders.items():
        reporter.step(f"{deployment.name}: collects {name} into {folder}")
    collector = deployment.data_collector
    if collector is not None and collector.enabled(payload=False) and not runs_receiver:
        reporter.warn(f"{deployment.location('data_collector')}: custom collections need the Azure ML inference "
                      "server (this deployment's image brings its own server): only request/response are collected")
    return folders


def register_data_assets(deployment: Deployment) -> List[str]:
    """`data.name` (and `data.version`, default 1) registers the collection's folder as a uri_folder data asset,
    as the cloud does; an existing version is kept. Returns the references of new registrations."""
    collector = deployment.data_collector
    registered: List[str] = []
    for collection in collector.enabled() if collector is not None else ():
        if not collection.data_name:
            continue
        version = collection.data_version or "1"
        try:
            registry.get_asset(registry.DATA, collection.data_name, version)
            continue
        except registry.AssetNotFound:
            pass
        folder = collection_folder(deployment, collection)
        try:
            asset = registry.register(registry.Asset(
                kind=registry.DATA, name=collection.data_name, version=version, type="uri_folder", path=str(folder),
                description=f"data collected by {deployment.endpoint_name}/{deployment.name} ({collection.name})",
            ))
        except LocalepError as error:
            raise LocalepError(f"cannot register data asset {collection.data_name}:{version}: {error.message}",
                               deployment.location(f"data_collector.collections.{collection.name}.data")) from None
        registered.append(asset.reference)
    return registered
