"""Microsoft's debug-online-endpoints-locally-in-visual-studio-code notebook's call, `vscode_debug=True`, on localep.

argv = endpoint name, base image; run from a copy of examples/numpy-regression. Prints one JSON line of findings.
"""

import json
import socket
import sys
from pathlib import Path

import offline

refused = offline.install()

import localep.sdk  # noqa: E402

ENDPOINT, BASE_IMAGE = sys.argv[1], sys.argv[2]

localep.sdk.enable()
ml_client = offline.workspace_client()
deployment = offline.example_deployment(ENDPOINT, BASE_IMAGE)
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
