"""tests/security reuses the gateway unit fixtures: real upstream HTTP servers and real gateways on 127.0.0.1."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "gateway"))

from gateway_fixtures import gateways, upstreams  # noqa: F401 (pytest fixtures)
