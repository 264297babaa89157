"""Microsoft's debug-online-endpoints-locally-in-visual-studio-code notebook's call, `vscode_debug=True`, on localep.

argv = endpoint name, base image; run from a copy of examples/numpy-regression. Prints one JSON line of findings.
"""

import json
import socket
import sys
from pathlib import Path

import offline

refused = offline.install()

from azure.ai.ml import MLClient  # noqa: E402
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, Model  # noqa: E402

import localep.sdk  # noqa: E402

ENDPOINT, BASE_IMAGE = sys.argv[1], sys.argv[2]


class NoCredential:
    def get_token(self, *scopes, **kwargs):
        raise AssertionError("a local operation asked for an Azure token")


localep.sdk.enable()
ml_client = MLClient(NoCredential(), "00000000-0000-0000-0000-000000000000", "no-group", "no-workspace")
deployment = ManagedOnlineDeployment(
    name="blue", endpoint_name=ENDPOINT, model=Model(path="model/regression"),
    environment=Environment(conda_file="environment/conda.yaml", image=BASE_IMAGE),
    code_configuration=CodeConfiguration(code="onlinescoring", scoring_script="score.py"),
    instance_type="Standard_DS3_v2", instance_count=1,
)
try:
    created = ml_client.online_deployments.begin_create_or_update(deployment, local=True, vscode_debug=True).result()
    findings = {"state": created.provisioning_state}
    launch = json.loads(Path(".vscode/launch.json").read_text())
    entry = next(c for c in launch["configurations"] if c["name"] == f"localep: attach {ENDPOINT}/blue")
    findings["entry"] = entry
    with socket.create_connection(("127.0.0.1", entry["connect"]["port"]), timeout=10):
        findings["debugpy_answers"] = True
    findings["answer"] = json.loads(ml_client.online_endpoints.invoke(
        endpoint_name=ENDPOINT, request_file="sample-request.json", local=True))
finally:
    ml_client.online_endpoints.begin_delete(name=ENDPOINT, local=True).result()
findings["refused"] = refused
print(json.dumps(findings))
