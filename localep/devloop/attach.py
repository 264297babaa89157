"""A deployment's VS Code attach entry: its code folder mapped onto where localep mounts it in the container."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

from localep.devloop.launchjson import attach_configuration, write_attach_configuration
from localep.errors import LocalepError
from localep.runtime.plan import APP_ROOT
from localep.yamlspec.model import Deployment


def write_deployment_attach(deployment: Deployment, port: int, workspace: Path,
                            just_my_code: bool) -> Tuple[Dict[str, Any], Path]:
    """Merge the entry into `<workspace>/.vscode/launch.json`; returns it and the file written."""
    code = deployment.code_configuration
    if code is None:
        raise LocalepError(f"deployment {deployment.name} has no code_configuration: nothing to debug",
                           deployment.location())
    config = attach_configuration(
        endpoint=deployment.endpoint_name, deployment=deployment.name, port=port, local_root=code.code,
        remote_root=str(APP_ROOT / code.code.name), workspace=workspace, just_my_code=just_my_code,
    )
    return config, write_attach_configuration(workspace, config)
