"""Microsoft's online-endpoints-simple-deployment notebook (its local part), run with `localep.sdk.enable()` added.

Run by tests/e2e/test_sdk.py with the real azure-ai-ml, from a copy of examples/numpy-regression as the working
directory: argv = endpoint name, base image. Prints one JSON line of findings; asserts as it goes.
No credentials and no Azure: offline.py's audit hook refuses every connection but loopback, Docker's socket and
Docker's own networks, and the findings list any refused one.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import docker
import offline
import requests

ENDPOINT, BASE_IMAGE = sys.argv[1], sys.argv[2]
refused = offline.install()
_client = docker.from_env()

from azure.ai.ml import load_online_deployment  # noqa: E402
from azure.ai.ml.entities import (  # noqa: E402
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from azure.ai.ml.exceptions import LocalEndpointInFailedStateError, LocalEndpointNotFoundError  # noqa: E402
from azure.ai.ml.operations import OnlineEndpointOperations  # noqa: E402

import localep.sdk  # noqa: E402

original_get = OnlineEndpointOperations.get
localep.sdk.enable()
findings = {"patched": OnlineEndpointOperations.get is not original_get}
ml_client = offline.workspace_client()

# 2.1 Create local endpoint
endpoint = ManagedOnlineEndpoint(name=ENDPOINT, description="this is a sample local endpoint")
ml_client.online_endpoints.begin_create_or_update(endpoint, local=True).result()

# 2.2 Create local deployment (entities built in Python, paths relative to the working directory)
model = Model(path="model/regression")
env = Environment(conda_file="environment/conda.yaml", image=BASE_IMAGE)
blue_deployment = ManagedOnlineDeployment(
    name="blue",
    endpoint_name=ENDPOINT,
    model=model,
    environment=env,
    code_configuration=CodeConfiguration(code="onlinescoring", scoring_script="score.py"),
    instance_type="Standard_DS3_v2",
    instance_count=1,
)
ml_client.online_deployments.begin_create_or_update(deployment=blue_deployment, local=True).result()

# 3.1 Check the status
got = ml_client.online_endpoints.get(name=ENDPOINT, local=True)
findings["endpoint"] = {"type": type(got).__name__, "state": got.provisioning_state, "scoring_uri": got.scoring_uri,
                        "traffic": dict(got.traffic)}
blue = ml_client.online_deployments.get(name="blue", endpoint_name=ENDPOINT, local=True)
findings["blue"] = {"type": type(blue).__name__, "state": blue.provisioning_state,
                    "model_path": str(blue.model.path), "instance_type": blue.instance_type}

# 3.2 Get logs
findings["logs"] = ml_client.online_deployments.get_logs(name="blue", endpoint_name=ENDPOINT, local=True, lines=50)

# 3.3 Invoke
findings["answer"] = json.loads(ml_client.online_endpoints.invoke(
    endpoint_name=ENDPOINT, request_file="sample-request.json", local=True))

# The same deployment from its YAML file, loaded from elsewhere: paths resolve against the file's folder
yaml_file = Path("blue-deployment.yml").resolve()
os.chdir(tempfile.mkdtemp())
green_deployment = load_online_deployment(str(yaml_file), params_override=[{"name": "green"}, {"endpoint_name": ENDPOINT}])
ml_client.online_deployments.begin_create_or_update(green_deployment, local=True).result()
endpoint.traffic = {"blue": 50, "green": 50}
ml_client.online_endpoints.begin_create_or_update(endpoint, local=True).result()
got = ml_client.online_endpoints.get(name=ENDPOINT, local=True)
findings["split"] = {"traffic": dict(got.traffic), "deployments": sorted(
    d.name for d in ml_client.online_deployments.list(endpoint_name=ENDPOINT, local=True))}
answered_by = [requests.post(got.scoring_uri, json={"data": [[1] * 10]}, timeout=30).headers.get("azureml-model-deployment")
               for _ in range(30)]
findings["split"]["answered_by"] = {name: answered_by.count(name) for name in set(answered_by)}
findings["green_answer"] = json.loads(ml_client.online_endpoints.invoke(
    endpoint_name=ENDPOINT, deployment_name="green", request_file=str(yaml_file.parent / "sample-request.json"),
    local=True))

# A scoring script whose init() fails: .result() raises the SDK's exception with the traceback
broken = Path(tempfile.mkdtemp()) / "broken"
broken.mkdir()
(broken / "score.py").write_text("def init():\n    raise RuntimeError('no weights here: broken on purpose')\n\n\ndef run(data):\n    return data\n")
bad = ManagedOnlineDeployment(name="broken", endpoint_name=ENDPOINT, model=Model(path=str(yaml_file.parent / "model/regression")),
                              environment=Environment(conda_file=str(yaml_file.parent / "environment/conda.yaml"), image=BASE_IMAGE),
                              code_configuration=CodeConfiguration(code=str(broken), scoring_script="score.py"),
                              instance_type="Standard_DS3_v2", instance_count=1)
poller = ml_client.online_deployments.begin_create_or_update(bad, local=True)
try:
    poller.result()
    findings["broken"] = "no error"
except LocalEndpointInFailedStateError as error:
    findings["broken"] = str(error)
findings["broken_state"] = ml_client.online_deployments.get(name="broken", endpoint_name=ENDPOINT, local=True).provisioning_state

# Delete: nothing is left
ml_client.online_endpoints.begin_delete(name=ENDPOINT, local=True).result()
try:
    ml_client.online_endpoints.get(name=ENDPOINT, local=True)
    findings["after_delete"] = "still there"
except LocalEndpointNotFoundError as error:
    findings["after_delete"] = type(error).__name__
findings["containers_left"] = [c.name for c in _client.containers.list(all=True, filters={"label": f"localep.endpoint={ENDPOINT}"})]

localep.sdk.disable()
findings["restored"] = OnlineEndpointOperations.get is original_get
findings["refused"] = refused
print(json.dumps(findings))
