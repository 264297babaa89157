"""`azureml:` asset references as deployment YAML writes them, resolved against the local registry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from localep.registry.store import Asset, AssetNotFound, get_asset

PREFIX = "azureml:"
# An ARM id or registry URI: ".../models/NAME/versions/VERSION" or ".../models/NAME/labels/latest".
RESOURCE_ID = re.compile(r"/(models|environments|data)/([^/]+)/(versions|labels)/([^/]+)/?$", re.IGNORECASE)


@dataclass(frozen=True)
class AssetReference:
    name: str
    version: Optional[str]  # None: the latest version
    text: str

    def command_hint(self, kind: str) -> str:
        """The `localep az` command that registers what this reference names."""
        version = f" --version {self.version}" if self.version else ""
        if kind == "environments":
            return f"localep az ml environment create --name {self.name}{version} --image IMAGE --conda-file CONDA_FILE"
        noun = "model" if kind == "models" else "data"
        return f"localep az ml {noun} create --name {self.name}{version} --path PATH"


def parse_reference(text: str) -> Optional[AssetReference]:
    """`azureml:NAME:VERSION`, `azureml:NAME@latest`, `azureml:NAME`, or an id ending in `/NAME/versions/V`."""
    value = text.strip()
    if not value.lower().startswith(PREFIX):
        return None
    body = value[len(PREFIX):]
    found = RESOURCE_ID.search(body)
    if found:
        label = found.group(3).lower() == "labels"
        if label and found.group(4) != "latest":
            return None
        return AssetReference(found.group(2), None if label else found.group(4), value)
    if "/" in body or not body:
        return None
    if "@" in body:
        name, _, label = body.partition("@")
        return AssetReference(name, None, value) if label == "latest" and name else None
    name, _, version = body.partition(":")
    if not name or ":" in version:
        return None
    return AssetReference(name, version or None, value)


def resolve(kind: str, text: str) -> Optional[Asset]:
    """The registered asset a reference names, or None when it is not a reference or not registered here."""
    reference = parse_reference(text)
    if reference is None:
        return None
    try:
        return get_asset(kind, reference.name, reference.version)
    except AssetNotFound:
        return None
