"""Microsoft's data collection notebook's deployment (`DataCollector` with model_inputs, model_outputs, request and
response) created with `local=True` on localep, then scored through the SDK.

argv = endpoint name, base image; run from a copy of tests/fixtures/datacollect. Prints one JSON line of findings:
the answers and, per collection, the lines collected under $LOCALEP_HOME in the cloud's layout.
"""

import json
import os
import sys
import time
from pathlib import Path

import offline

refused = offline.install()

from azure.ai.ml import MLClient  # noqa: E402
from azure.ai.ml.entities import (  # noqa: E402
    CodeConfiguration,
    DataCollector,
    DeploymentCollection,
    Environment,
    ManagedOnlineDeployment,
    Model,
    RequestLogging,
)

import localep.sdk  # noqa: E402

ENDPOINT, BASE_IMAGE = sys.argv[1], sys.argv[2]
COLLECTIONS = ("model_inputs", "model_outputs", "request", "response")
ROOT = Path(os.environ["LOCALEP_HOME"]) / "datastores" / "workspaceblobstore" / "paths" / "modelDataCollector"


class NoCredential:
    def get_token(self, *scopes, **kwargs):
        raise AssertionError("a local operation asked for an Azure token")


def collected() -> dict:
    return {name: [json.loads(line) for path in sorted((ROOT / ENDPOINT / "blue" / name).rglob("*.jsonl"))
                   for line in path.read_text().splitlines()] for name in COLLECTIONS}


localep.sdk.enable()
ml_client = MLClient(NoCredential(), "00000000-0000-0000-0000-000000000000", "no-group", "no-workspace")
deployment = ManagedOnlineDeployment(
    name="blue", endpoint_name=ENDPOINT, model=Model(path="model/regression"),
    environment=Environment(conda_file="environment/conda.yaml", image=BASE_IMAGE),
    code_configuration=CodeConfiguration(code="onlinescoring", scoring_script="score.py"),
    instance_type="Standard_DS3_v2", instance_count=1,
    data_collector=DataCollector(
        collections={name: DeploymentCollection(enabled="true") for name in COLLECTIONS},
        rolling_rate="hour", request_logging=RequestLogging(capture_headers=["x-client-tag"])),
)
Path("request.json").write_text(json.dumps({"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}))
try:
    findings = {"state": ml_client.online_deployments.begin_create_or_update(deployment, local=True).result()
                .provisioning_state}
    findings["answers"] = [json.loads(ml_client.online_endpoints.invoke(
        endpoint_name=ENDPOINT, request_file="request.json", local=True)) for _ in range(3)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and min(len(lines) for lines in collected().values()) < 3:
        time.sleep(0.2)
    findings["collected"] = {name: len(lines) for name, lines in collected().items()}
    lines = collected()
    findings["correlated"] = sorted(e["correlationid"] for e in lines["model_inputs"]) == sorted(
        e["correlationid"] for e in lines["model_outputs"])
finally:
    ml_client.online_endpoints.begin_delete(name=ENDPOINT, local=True).result()
findings["refused"] = refused
print(json.dumps(findings))
