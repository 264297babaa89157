"""The container a deployment becomes: Azure ML paths, variables, ports and limits (no Docker)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from localep.images.kinds.base import INFERENCE_SERVER, ServerSpec
from localep.runtime.plan import AGENT_FILES_ON_HOST, DebugOptions, plan_container
from localep.runtime.sizing import Machine, size_for
from localep.yamlspec.model import CodeConfiguration, Deployment, Model, RequestSettings, ResourceLimits


def deployment(tmp_path: Path, **changes) -> Deployment:
    fields = dict(
        name="blue", endpoint_name="ep", file=tmp_path / "blue.yml", kind="managed",
        model=Model(name="reg", version="3", path=tmp_path / "model-1" / "model"),
        code_configuration=CodeConfiguration(code=tmp_path / "src", scoring_script="online/score.py"),
        environment_variables={"A": "1"},
        request_settings=RequestSettings(request_timeout_ms=9000),
    )
    fields.update(changes)
    return Deployment(**fields)


def test_paths_and_variables_follow_azure_ml(tmp_path):
    plan = plan_container(deployment(tmp_path), "img", INFERENCE_SERVER, host_port=31000)
    assert plan.name == "localep-ep-blue"
    env = plan.environment
    assert env["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/reg/3"
    assert env["AML_APP_ROOT"] == "/var/azureml-app/src/online"
    assert env["AZUREML_ENTRY_SCRIPT"] == "score.py"
    assert env["SCORING_TIMEOUT_MS"] == "10000", "the server's alarm comes just after the endpoint's 408"
    assert env["A"] == "1"
    mounts = {m.target: (m.source, m.read_only) for m in plan.mounts}
    assert mounts["/var/azureml-app/src"] == (tmp_path / "src", True)
    assert mounts["/var/azureml-app/azureml-models/reg/3/model"] == (tmp_path / "model-1" / "model", True)
    assert plan.ports == {"5001/tcp": ("127.0.0.1", 31000)}
    assert plan.command[:4] == ["/opt/localep/python", "/opt/localep/agent.py", "--port", "5001"]
    assert plan.command[-2:] == ["--entry_script", "/var/azureml-app/src/online/score.py"]
    assert plan.labels["localep.endpoint"] == "ep" and plan.labels["localep.deployment"] == "blue"


def test_model_mount_path_and_limits(tmp_path):
    kubernetes = deployment(tmp_path, model_mount_path="/models/custom", kind="kubernetes",
                            resource_limits=ResourceLimits(cpu=0.5, memory=256 * 1024 * 1024))
    plan = plan_container(kubernetes, "img", INFERENCE_SERVER, host_port=None, instance=1,
                          size=size_for(kubernetes, Machine(cpus=2, memory=2**34)))
    assert plan.environment["AZUREML_MODEL_DIR"] == "/models/custom"
    assert any(m.target == "/models/custom/model" for m in plan.mounts)
    assert (plan.nano_cpus, plan.mem_limit) == (500_000_000, 256 * 1024 * 1024)
    assert plan.name == "localep-ep-blue-2"
    assert plan.ports == {}, "nothing published: the gateway reaches the container on its own address"


def test_with_an_upstream_secret_the_server_demands_it_and_the_users_gunicorn_options_stay(tmp_path):
    plan = plan_container(deployment(tmp_path, environment_variables={"GUNICORN_CMD_ARGS": "--threads 2"}), "img",
                          INFERENCE_SERVER, host_port=None, upstream_secret="s3cret")
    assert plan.environment["LOCALEP_UPSTREAM_SECRET"] == "s3cret"
    assert plan.environment["GUNICORN_CMD_ARGS"] == "--config /opt/localep/gunicorn_gate.py --threads 2"
    assert "/opt/localep/gunicorn_gate.py" in {m.target for m in plan.mounts}
    assert "s3cret" not in " ".join(plan.command), "never on a command line other users can read in ps"


def test_debugpy_listens_on_the_containers_loopback_and_is_never_published(tmp_path):
    plan = plan_container(deployment(tmp_path), "img", INFERENCE_SERVER, host_port=None,
                          debug=DebugOptions(port=5679, wait_for_client=True))
    assert plan.ports == {}, "the owner reaches debugpy through the gateway's bridges only"
    assert plan.environment["WORKER_TIMEOUT"] == "0"
    server = plan.command[plan.command.index("--") + 1:]
    assert server[:7] == ["/opt/localep/python", "-m", "debugpy", "--listen", "127.0.0.1:5679", "--wait-for-client",
                          "-m"]
    assert "/opt/localep/debug_relay.py" in {m.target for m in plan.mounts}


def test_byoc_keeps_the_images_own_command_and_port(tmp_path):
    server = ServerSpec(port=8080, scoring_path="/predict", liveness_path="/health")
    plan = plan_container(deployment(tmp_path), "img", server, host_port=31000)
    assert plan.command == []
    assert plan.ports == {"8080/tcp": ("127.0.0.1", 31000)}
    assert plan.labels["localep.scoring-path"] == "/predict"


def test_labels_name_the_spec_file_and_code_folder_absolutely(tmp_path, monkeypatch):
    """`ps --json` reads these labels from any folder; a path relative to where `up` ran would be wrong there."""
    monkeypatch.chdir(tmp_path)
    relative = deployment(Path("."), file=Path("blue.yml"),
                          code_configuration=CodeConfiguration(code=Path("src"), scoring_script="score.py"))
    plan = plan_container(relative, "img", INFERENCE_SERVER, host_port=31000)
    assert plan.labels["localep.spec-file"] == str(tmp_path / "blue.yml")
    assert plan.labels["localep.code-dir"] == str(tmp_path / "src")


def test_the_agent_runs_from_its_mounted_files_alone(tmp_path):
    """In the container there is no localep package: the agent must import only what is mounted beside it."""
    for path in AGENT_FILES_ON_HOST:
        shutil.copy(path, tmp_path / path.name)
    # -S -E: no site-packages and no PYTHONPATH, as in an image that never heard of localep
    command = [sys.executable, "-S", "-E", str(tmp_path / "agent.py"), "--port", "0", "--", sys.executable, "-c", "pass"]
    result = subprocess.run(command, capture_output=True, timeout=30)
    assert result.stdout.decode().splitlines() == ["localep-agent: server exited with code 0"], result.stderr.decode()


def test_no_egress_runs_on_the_internal_network_without_a_published_port(tmp_path):
    plan = plan_container(deployment(tmp_path), "img", INFERENCE_SERVER, host_port=31000,
                          no_egress_network="localep-no-egress")
    assert plan.network == "localep-no-egress" and plan.ports == {}
    assert plan.environment["LOCALEP_NO_EGRESS"] == "1" and plan.cap_add == ["NET_ADMIN"]
