"""The Gateway API validator, installed once per session (see kube_schemas.py for what each validator checks)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from kube_schemas import CHECK_SCRIPT, GATEWAY_PACKAGE, GatewayApiSchemas


@pytest.fixture(scope="session")
def gateway_api(tmp_path_factory) -> GatewayApiSchemas:
    """The npm package, installed once per test session (the registry is reached through the usual proxy)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "node and npm are needed to validate the HTTPRoute against the Gateway API types"
    root = tmp_path_factory.mktemp("gateway-api")
    result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", GATEWAY_PACKAGE], cwd=root,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (root / "check.mjs").write_text(CHECK_SCRIPT)
    return GatewayApiSchemas(root)
