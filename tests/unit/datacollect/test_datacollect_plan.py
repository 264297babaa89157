"""Where collections go, what a container and the endpoint get, and the data assets `up` registers."""

from __future__ import annotations

import json
from pathlib import Path

from localep import registry
from localep.datacollect.plan import (
    CONFIG_IN_CONTAINER,
    collection_folders,
    container_collection,
    payload_logging,
    prepare_folders,
    register_data_assets,
    sample_percentage,
)
from localep.images.kinds.base import INFERENCE_SERVER
from localep.runtime.plan import plan_container
from localep.yamlspec.datacollector import Collection, DataCollector
from localep.yamlspec.model import CodeConfiguration, Deployment


def deployment(tmp_path: Path, collector: DataCollector) -> Deployment:
    code = tmp_path / "src"
    code.mkdir(exist_ok=True)
    return Deployment(name="blue", endpoint_name="ep", file=tmp_path / "blue.yml", kind="managed",
                      code_configuration=CodeConfiguration(code=code, scoring_script="score.py"),
                      data_collector=collector)


COLLECTOR = DataCollector(
    collections=(
        Collection("model_inputs", True),
        Collection("model_outputs", False),
        Collection("request", True, datastore="mystore", path="logs/req", data_name="reqs", data_version="3"),
        Collection("response", True),
    ),
    rolling_rate="minute",
    sampling_rate=0.3,
    capture_headers=("x-a",),
)


def test_folders_follow_the_cloud_layout(tmp_path, private_localep_home):
    folders = collection_folders(deployment(tmp_path, COLLECTOR))
    root = private_localep_home / "datastores"
    assert folders == {
        "model_inputs": root / "workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs",
        "request": root / "mystore/paths/logs/req",
        "response": root / "workspaceblobstore/paths/modelDataCollector/ep/blue/response",
    }
    made = prepare_folders(deployment(tmp_path, COLLECTOR))
    assert all(folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700 for folder in made.values())


def test_a_container_gets_the_package_config_and_only_custom_folders(tmp_path):
    setup = container_collection(deployment(tmp_path, COLLECTOR), "localep-ep-blue-2", tmp_path / "ds")
    assert setup is not None
    assert setup.environment == {"AZUREML_MDC_CONFIG_PATH": CONFIG_IN_CONTAINER, "AZUREML_MDC_HOST": "127.0.0.1",
                                 "AZUREML_MDC_PORT": "50011"}
    assert setup.folders == [(tmp_path / "ds/workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs",
                              "/var/localep/datacollect/0")]
    settings = json.loads(setup.receiver_settings)
    assert (settings["writer"], settings["rolling_rate"]) == ("localep-ep-blue-2", "minute")
    assert settings["collections"]["model_outputs"] == {"folder": "", "enabled": False, "sample_rate_percentage": 30}
    assert container_collection(deployment(tmp_path, None), "x") is None


def test_the_agent_runs_the_receiver_when_the_deployment_collects(tmp_path):
    plan = plan_container(deployment(tmp_path, COLLECTOR), "img", INFERENCE_SERVER, host_port=None, instance=1)
    command = plan.command
    settings = json.loads(command[command.index("--collect") + 1])
    assert settings["writer"] == plan.name == "localep-ep-blue-2"
    assert command.index("--collect") < command.index("--")
    writable = [m.target for m in plan.mounts if not m.read_only]
    assert writable == ["/var/localep/datacollect/0"]
    assert {"/opt/localep/datacollect_events.py", "/opt/localep/datacollect_receiver.py"} <= {m.target for m in plan.mounts}
    assert plan.environment["AZUREML_MDC_CONFIG_PATH"] == CONFIG_IN_CONTAINER
    plain = plan_container(deployment(tmp_path, None), "img", INFERENCE_SERVER, host_port=None)
    assert "--collect" not in plain.command and "AZUREML_MDC_CONFIG_PATH" not in plain.environment


def test_the_endpoint_logs_payloads_only_when_request_or_response_is_enabled(tmp_path):
    logging = payload_logging(deployment(tmp_path, COLLECTOR), tmp_path)
    assert logging is not None
    assert logging.request_folder == str(tmp_path / "mystore/paths/logs/req")
    assert logging.response_folder == str(tmp_path / "workspaceblobstore/paths/modelDataCollector/ep/blue/response")
    assert (logging.sampling_rate, logging.rolling_rate, logging.capture_headers) == (0.3, "minute", ["x-a"])
    custom_only = DataCollector(collections=(Collection("model_inputs", True), Collection("request", False)))
    assert payload_logging(deployment(tmp_path, custom_only)) is None


def test_sampling_rate_becomes_the_packages_percentage():
    assert [sample_percentage(rate) for rate in (0.0, 0.004, 0.3, 0.999, 1.0)] == [0, 0, 30, 100, 100]


def test_data_name_registers_a_data_asset_once(tmp_path):
    target = deployment(tmp_path, COLLECTOR)
    assert register_data_assets(target) == ["azureml:reqs:3"]
    assert register_data_assets(target) == []
    asset = registry.get_asset(registry.DATA, "reqs", "3")
    assert (asset.type, asset.path) == ("uri_folder", str(collection_folders(target)["request"]))
