"""The local asset registry: models, environments and data registered like `az ml model create` does in a
workspace, kept under $LOCALEP_HOME/registry, so `azureml:NAME:VERSION` references resolve to local files."""

from localep.registry.references import AssetReference, parse_reference, resolve
from localep.registry.store import (
    DATA,
    ENVIRONMENTS,
    KINDS,
    MODELS,
    Asset,
    AssetExists,
    AssetNotFound,
    get_asset,
    latest_assets,
    register,
    set_archived,
    versions_of,
)

__all__ = [
    "DATA",
    "ENVIRONMENTS",
    "KINDS",
    "MODELS",
    "Asset",
    "AssetExists",
    "AssetNotFound",
    "AssetReference",
    "get_asset",
    "latest_assets",
    "parse_reference",
    "register",
    "resolve",
    "set_archived",
    "versions_of",
]
