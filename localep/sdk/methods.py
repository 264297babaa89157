"""Replacing azure-ai-ml's operation methods: each wrapper calls the original unchanged unless the call says
`local=True`, and restore() puts the very same original objects back. No azure-ai-ml import here."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Tuple

# azure-ai-ml releases whose local-mode signatures were checked (1.26.0 of March 2025 and 1.35.2 are identical).
KNOWN_VERSIONS = ((1, 26), (1, 35))

_originals: Dict[Tuple[type, str], Any] = {}


def routed(original: Callable[..., Any], local: Callable[..., Any]) -> Callable[..., Any]:
    """`original` for every call without `local=True`; `local` (without self and the flag) for the others."""
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("local"):
            return original(self, *args, **kwargs)
        kwargs.pop("local")
        return local(*args, **kwargs)
    return method


def version_warning(version: str) -> Optional[str]:
    """The warning for an azure-ai-ml release outside the checked range, else None."""
    try:
        major_minor = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        major_minor = ()
    if len(major_minor) == 2 and KNOWN_VERSIONS[0] <= major_minor <= KNOWN_VERSIONS[1]:
        return None
    low, high = (".".join(map(str, v)) for v in KNOWN_VERSIONS)
    return (f"localep.sdk: azure-ai-ml {version} is outside the releases checked ({low} to {high}); "
            "trying anyway: report what fails")


def replace(classes: List[Tuple[type, Dict[str, Callable[..., Any]]]]) -> None:
    for cls, routes in classes:
        for name, local in routes.items():
            if (cls, name) in _originals:
                continue
            original = cls.__dict__[name]
            _originals[(cls, name)] = original
            setattr(cls, name, routed(original, local))


def restore() -> None:
    """Put the original methods back, exactly the objects replace() took out."""
    for (cls, name), original in list(_originals.items()):
        setattr(cls, name, original)
        del _originals[(cls, name)]


def enabled() -> bool:
    return bool(_originals)
