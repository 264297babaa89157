"""Microsoft's data collection notebook's deployment (`DataCollector` with model_inputs, model_outputs, request and
response) created with `local=True` on localep, then scored through the SDK.

argv = endpoint name, base image; run from a copy of tests/fixtures/datacollect. Prints one JSON line of findings:
the answers and, per collection, the lines collected under $LOCALEP_HOME in the cloud's layout.
"""

import json
import os
import sys
from pathlib import Path

import offline

refused = offline.install()

from azure.ai.ml.entities import DataCollector, DeploymentCollection, RequestLogging  # noqa: E402
from tests.e2e.collected import collection_folder, wait_for_events  # noqa: E402

import localep.sdk  # noqa: E402

ENDPOINT, BASE_IMAGE = sys.argv[1], sys.argv[2]
COLLECTIONS = ("model_inputs", "model_outputs", "request", "response")
HOME = Path(os.environ["LOCALEP_HOME"])

localep.sdk.enable()
ml_client = offline.workspace_client()
deployment = offline.example_deployment(ENDPOINT, BASE_IMAGE, data_collector=DataCollector(
    collections={name: DeploymentCollection(enabled="true") for name in COLLECTIONS},
    rolling_rate="hour", request_logging=RequestLogging(capture_headers=["x-client-tag"])))
Path("request.json").write_text(json.dumps({"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}))
try:
    findings = {"state": ml_client.online_deployments.begin_create_or_update(deployment, local=True).result()
                .provisioning_state}
    findings["answers"] = [json.loads(ml_client.online_endpoints.invoke(
        endpoint_name=ENDPOINT, request_file="request.json", local=True)) for _ in range(3)]
    lines = {name: wait_for_events(collection_folder(HOME, ENDPOINT, name), 3) for name in COLLECTIONS}
    findings["collected"] = {name: len(events) for name, events in lines.items()}
    findings["correlated"] = sorted(e["correlationid"] for e in lines["model_inputs"]) == sorted(
        e["correlationid"] for e in lines["model_outputs"])
finally:
    ml_client.online_endpoints.begin_delete(name=ENDPOINT, local=True).result()
findings["refused"] = refused
print(json.dumps(findings))
