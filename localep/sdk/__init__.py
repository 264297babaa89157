"""azure-ai-ml's `local=True` on localep: call `localep.sdk.enable()` once, then the notebook is unchanged.

`pip install 'localep[sdk]'` brings azure-ai-ml and azure-identity; localep's core does not need them.
"""

from __future__ import annotations

import warnings
from typing import List

from localep.sdk import methods

__all__ = ["disable", "enable"]

_warned: List[str] = []


def enable() -> None:
    """Route azure-ai-ml's `local=True` online endpoint and deployment calls to localep (calling it twice is fine);
    calls without `local=True` reach the SDK's own code untouched."""
    try:
        import azure.ai.ml
        from azure.ai.ml.operations import OnlineDeploymentOperations, OnlineEndpointOperations

        from localep.sdk.routes import DEPLOYMENT_ROUTES, ENDPOINT_ROUTES
    except ImportError as error:
        raise ImportError(f"localep.sdk needs azure-ai-ml ({error}): pip install 'localep[sdk]'") from error
    version = getattr(azure.ai.ml, "__version__", "unknown")
    warning = methods.version_warning(version)
    if warning and version not in _warned:
        _warned.append(version)
        warnings.warn(warning, RuntimeWarning, stacklevel=2)
    methods.replace([(OnlineEndpointOperations, ENDPOINT_ROUTES), (OnlineDeploymentOperations, DEPLOYMENT_ROUTES)])


def disable() -> None:
    """Give azure-ai-ml its own methods back, exactly as they were before enable()."""
    methods.restore()
