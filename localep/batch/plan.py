"""Batch deployment + image -> the containers of one job, as plain data (pure, unit-tested without Docker).

Paths and variables match the online containers (code under /var/azureml-app, the model one level below
AZUREML_MODEL_DIR), plus the batch driver's AZUREML_BI_OUTPUT_PATH.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Dict, List, Optional

from localep import __version__
from localep.batch.channel import SUPERVISOR_PORT, TOKEN_VARIABLE, WORKER_SCRIPT_IN_CONTAINER, WORKER_SCRIPT_ON_HOST
from localep.batch.inputs import BatchInput
from localep.batch.layout import OUTPUT_IN_CONTAINER, OutputLayout
from localep.images.kinds.base import PYTHON_IN_CONTAINER, ServerSpec
from localep.runtime import labels
from localep.runtime.plan import ContainerPlan, Mount, code_mount, model_mount
from localep.runtime.sizing import ContainerSize
from localep.yamlspec.batch_model import BatchDeployment

# Where the driver listens; plan_instance gives its command (it serves no scoring route).
DRIVER = ServerSpec(port=SUPERVISOR_PORT, liveness_path="", scoring_path="", readiness_path="")


def instance_name(index: int) -> str:
    """The node folder name in logs/user/stdout/<instance>/ (the cloud uses the node's id)."""
    return f"instance-{index + 1}"


def container_name(job_name: str, index: int) -> str:
    return f"localep-{job_name}-{index + 1}"


def script_in_container(deployment: BatchDeployment) -> str:
    code = deployment.code_configuration
    assert code is not None, "the spec loader guarantees code_configuration for runnable batch deployments"
    return str(PurePosixPath(code_mount(code).target) / code.scoring_script)


def host_user() -> Optional[str]:
    """The host user a non-root localep runs as, so the files workers write in the output folder are the user's own
    (root-owned files there could not be deleted without sudo). Root keeps the image's user, as online containers do."""
    uid = os.getuid()
    return None if uid == 0 else f"{uid}:{os.getgid()}"


def plan_instance(job_name: str, deployment: BatchDeployment, image: str, index: int, batch_input: BatchInput,
                  layout: OutputLayout, token: str, user: Optional[str] = None,
                  size: Optional[ContainerSize] = None) -> ContainerPlan:
    """`size`: the CPU and memory of `resources.instance_type` (runtime/sizing.py), none when not given."""
    env: Dict[str, str] = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    if user is not None:
        env["HOME"] = "/tmp"  # that user has no home in the image; libraries cache under $HOME
    mounts: List[Mount] = [
        Mount(WORKER_SCRIPT_ON_HOST, WORKER_SCRIPT_IN_CONTAINER),
        Mount(batch_input.root, str(batch_input.mount_target)),
        Mount(layout.root, str(OUTPUT_IN_CONTAINER), read_only=False),
    ]
    code = deployment.code_configuration
    if code is not None:
        mounts.append(code_mount(code))
        script = PurePosixPath(script_in_container(deployment))
        env["AML_APP_ROOT"] = str(script.parent)
        env["AZUREML_ENTRY_SCRIPT"] = script.name
    model = deployment.model
    if model is not None and model.path is not None:
        model_dir, mount = model_mount(model)
        mounts.append(mount)
        env["AZUREML_MODEL_DIR"] = model_dir
    env.update(deployment.settings.environment_variables)
    # The driver's own variables win, as the cloud's driver sets them in every process.
    env.update({"AZUREML_BI_OUTPUT_PATH": str(OUTPUT_IN_CONTAINER), TOKEN_VARIABLE: token})
    container_labels = {
        labels.MANAGED: "true",
        labels.ENDPOINT: deployment.endpoint_name,
        labels.DEPLOYMENT: deployment.name,
        labels.INSTANCE: str(index),
        labels.SPEC_FILE: str(deployment.file),
        labels.BATCH_JOB: job_name,
        labels.VERSION: __version__,
    }
    return ContainerPlan(
        name=container_name(job_name, index),
        image=image,
        command=[PYTHON_IN_CONTAINER, WORKER_SCRIPT_IN_CONTAINER, "supervise", "--port", str(SUPERVISOR_PORT)],
        environment=env,
        mounts=mounts,
        ports={f"{SUPERVISOR_PORT}/tcp": ("127.0.0.1", None)},
        labels=container_labels,
        server=DRIVER,
        user=user,
        nano_cpus=size.nano_cpus if size else None,
        mem_limit=size.mem_limit if size else None,
    )
