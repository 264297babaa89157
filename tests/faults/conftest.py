"""tests/faults runs on the e2e fixtures (real engine, real example image, the real CLI)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("e2e_fixtures", Path(__file__).resolve().parents[1] / "e2e" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)

docker_client = _e2e.docker_client
base_image = _e2e.base_image
localep_home = _e2e.localep_home
cli_env = _e2e.cli_env
cli = _e2e.cli
example_image = _e2e.example_image
project = _e2e.project
gateway_of = _e2e.gateway_of
batch_warm = _e2e.batch_warm
batch_project = _e2e.batch_project
read_rows = _e2e.read_rows
write_inputs = _e2e.write_inputs
direct_prediction = _e2e.direct_prediction
