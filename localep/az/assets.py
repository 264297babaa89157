"""`az ml model|environment|data` against the local registry, answering the cloud's asset documents."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from localep import registry
from localep.az.errors import AzError, AzExit
from localep.az.online import WORKSPACE_ID
from localep.errors import SpecError
from localep.registry import DATA, ENVIRONMENTS, MODELS, Asset
from localep.registry.store import REMOTE
from localep.yamlspec.diagnostics import raise_first_error
from localep.yamlspec.model import CUSTOM_MODEL
from localep.yamlspec.yamlio import apply_overrides, read_document

ASSET_FIELDS = {
    MODELS: {"$schema", "name", "version", "path", "type", "description", "tags", "properties", "stage", "flavors",
             "job_name"},
    ENVIRONMENTS: {"$schema", "name", "version", "image", "conda_file", "build", "inference_config", "os_type",
                   "description", "tags", "properties"},
    DATA: {"$schema", "name", "version", "path", "type", "description", "tags", "properties"},
}
DEFAULT_TYPE = {MODELS: CUSTOM_MODEL, ENVIRONMENTS: "environment", DATA: "uri_folder"}


def _tags(values: Optional[List[str]]) -> Dict[str, str]:
    tags = {}
    for value in values or []:
        key, _, text = value.partition("=")
        if not key:
            raise AzError(f"--tags: {value!r} is not KEY=VALUE", AzExit.USAGE)
        tags[key] = text
    return tags


def _from_file(kind: str, args: argparse.Namespace) -> Dict[str, Any]:
    """The asset YAML (with --set applied) as plain data, its relative paths resolved against the file."""
    if not args.file:
        return {}
    document = read_document(Path(args.file))
    document, problems = apply_overrides(document, list(args.set or []))
    raise_first_error(problems)
    data = dict(document.data)
    unknown = sorted(set(data) - ASSET_FIELDS[kind])
    if unknown:
        raise SpecError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(ASSET_FIELDS[kind] - {'$schema'}))})",
                        document.location(unknown[0]))
    base = Path(os.path.abspath(args.file)).parent
    for key in ("path", "conda_file"):
        if isinstance(data.get(key), str) and not REMOTE.match(data[key]):
            data[key] = str(base / data[key])
    build = data.get("build")
    if isinstance(build, dict) and isinstance(build.get("path"), str):
        data["build"] = {**build, "path": str(base / build["path"])}
    return data


def _local(path: Optional[str], flag: str) -> Optional[Path]:
    if path is None or REMOTE.match(path):
        return None
    local = Path(path).expanduser()
    if not local.exists():
        raise AzError(f"{flag} {path}: no such file or folder", code="UserError")
    return local.resolve()


def _name_and_version(kind: str, data: Dict[str, Any], args: argparse.Namespace) -> Asset:
    name = args.name or data.get("name")
    if not name:
        raise AzError("the following arguments are required: --name/-n (or name: in --file)", AzExit.USAGE)
    version = args.version or data.get("version")
    return Asset(kind=kind, name=str(name), version="" if version is None else str(version),
                 type=getattr(args, "type", None) or data.get("type") or DEFAULT_TYPE[kind],
                 description=args.description or data.get("description"),
                 tags={**{k: str(v) for k, v in (data.get("tags") or {}).items()}, **_tags(args.tags)},
                 properties={k: str(v) for k, v in (data.get("properties") or {}).items()})


def _register(asset: Asset, files: Optional[Path] = None, extra: Optional[Dict[str, Path]] = None) -> Asset:
    try:
        return registry.register(asset, files, extra)
    except registry.AssetExists as error:
        raise AzError(str(error), code="UserError") from None


def model_create(args: argparse.Namespace) -> Dict[str, Any]:
    data = _from_file(MODELS, args)
    asset = _name_and_version(MODELS, data, args)
    path = args.path or data.get("path")
    if not path:
        raise AzError("the following arguments are required: --path/-p (or path: in --file)", AzExit.USAGE)
    stage = args.stage or data.get("stage")
    asset = replace(asset, stage=stage) if stage else asset
    local = _local(path, "--path")
    if local is None:
        return model_document(_register(replace(asset, path=path)))
    return model_document(_register(asset, files=local))


def environment_create(args: argparse.Namespace) -> Dict[str, Any]:
    data = _from_file(ENVIRONMENTS, args)
    asset = _name_and_version(ENVIRONMENTS, data, args)
    build = data.get("build") or {}
    context = args.build_context or build.get("path")
    image = args.image or data.get("image")
    conda_file = args.conda_file or data.get("conda_file")
    if bool(image) == bool(context):
        raise AzError("an environment needs --image (optionally with --conda-file) or --build-context, not both",
                      AzExit.USAGE)
    extra: Dict[str, Path] = {}
    if conda_file:
        extra["conda_file"] = _must_be_local(conda_file, "--conda-file")
    if context:
        extra["build"] = _must_be_local(context, "--build-context")
    asset = replace(asset, type="environment", image=image, os_type=args.os_type or data.get("os_type") or "linux",
                    inference_config=data.get("inference_config"),
                    build={"dockerfile_path": args.dockerfile_path or build.get("dockerfile_path") or "Dockerfile"}
                    if context else None)
    return environment_document(_register(asset, extra=extra))


def _must_be_local(path: str, flag: str) -> Path:
    local = _local(path, flag)
    if local is None:
        raise AzError(f"{flag} {path}: must be a local file or folder here", code="UserError")
    return local


def data_create(args: argparse.Namespace) -> Dict[str, Any]:
    data = _from_file(DATA, args)
    asset = _name_and_version(DATA, data, args)
    path = args.path or data.get("path")
    if not path:
        raise AzError("the following arguments are required: --path/-p (or path: in --file)", AzExit.USAGE)
    local = _local(path, "--path")
    if local is not None and asset.type == "uri_file" and not local.is_file():
        raise AzError(f"--path {path}: a uri_file asset must be a file", code="UserError")
    if local is not None and asset.type == "uri_folder" and not local.is_dir():
        raise AzError(f"--path {path}: a uri_folder asset must be a folder (use --type uri_file for a file)",
                      code="UserError")
    if local is None:
        return data_document(_register(replace(asset, path=path)))
    return data_document(_register(asset, files=local))


def _get(kind: str, args: argparse.Namespace) -> Asset:
    label = getattr(args, "label", None)
    if label and label != "latest":
        raise AzError(f"--label {label}: only 'latest' is known locally", AzExit.USAGE)
    if label and args.version:
        raise AzError("give --version or --label, not both", AzExit.USAGE)
    try:
        return registry.get_asset(kind, args.name, args.version)
    except registry.AssetNotFound as error:
        raise AzError(str(error), AzExit.NOT_FOUND, code="ResourceNotFound") from None


def _list(kind: str, args: argparse.Namespace) -> List[Asset]:
    if args.name:
        found = registry.versions_of(kind, args.name)
        found = [a for a in found if (a.archived if args.archived_only else args.include_archived or not a.archived)]
        found.reverse()  # newest first, as the cloud lists versions
    else:
        found = registry.latest_assets(kind, include_archived=args.include_archived, archived_only=args.archived_only)
    if args.max_results is not None:
        if not str(args.max_results).isdigit():
            raise AzError(f"--max-results: expected a whole number, got {args.max_results!r}", AzExit.USAGE)
        found = found[: int(args.max_results)]
    return found


def _archive(kind: str, args: argparse.Namespace, archived: bool) -> None:
    """One version (--version, or --label latest), or every version of the name."""
    version = _get(kind, args).version if getattr(args, "label", None) else args.version
    try:
        registry.set_archived(kind, args.name, version, archived)
    except registry.AssetNotFound as error:
        raise AzError(str(error), AzExit.NOT_FOUND, code="ResourceNotFound") from None
    return None


def _common(asset: Asset, collection: str) -> Dict[str, Any]:
    return {
        "creation_context": {"created_at": asset.created_at, "created_by": os.environ.get("USER", "local"),
                             "created_by_type": "User", "last_modified_at": asset.created_at},
        "description": asset.description,
        "id": f"azureml:{WORKSPACE_ID}/{collection}/{asset.name}/versions/{asset.version}",
        "name": asset.name,
        "properties": dict(asset.properties),
        "resourceGroup": "local",
        "tags": dict(asset.tags),
        "version": asset.version,
    }


def model_document(asset: Asset) -> Dict[str, Any]:
    return {**_common(asset, "models"), "path": asset.path, "stage": asset.stage, "type": asset.type,
            "flavors": None, "job_name": None}


def environment_document(asset: Asset) -> Dict[str, Any]:
    conda: Any = None
    if asset.conda_file:
        try:
            conda = yaml.safe_load(Path(asset.conda_file).read_text())
        except (OSError, yaml.YAMLError):
            conda = asset.conda_file
    return {**_common(asset, "environments"), "image": asset.image, "conda_file": conda, "os_type": asset.os_type,
            "build": dict(asset.build) if asset.build else None, "inference_config": asset.inference_config,
            "stage": asset.stage}


def data_document(asset: Asset) -> Dict[str, Any]:
    return {**_common(asset, "data"), "path": asset.path, "type": asset.type, "stage": asset.stage}


def model_show(args: argparse.Namespace) -> Dict[str, Any]:
    return model_document(_get(MODELS, args))


def model_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    return [model_document(asset) for asset in _list(MODELS, args)]


def model_archive(args: argparse.Namespace) -> None:
    return _archive(MODELS, args, True)


def model_restore(args: argparse.Namespace) -> None:
    return _archive(MODELS, args, False)


def environment_show(args: argparse.Namespace) -> Dict[str, Any]:
    return environment_document(_get(ENVIRONMENTS, args))


def environment_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    return [environment_document(asset) for asset in _list(ENVIRONMENTS, args)]


def environment_archive(args: argparse.Namespace) -> None:
    return _archive(ENVIRONMENTS, args, True)


def data_show(args: argparse.Namespace) -> Dict[str, Any]:
    return data_document(_get(DATA, args))


def data_list(args: argparse.Namespace) -> List[Dict[str, Any]]:
    return [data_document(asset) for asset in _list(DATA, args)]


def data_archive(args: argparse.Namespace) -> None:
    return _archive(DATA, args, True)
