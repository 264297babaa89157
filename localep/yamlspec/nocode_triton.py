"""No-code Triton models: the cloud serves a `triton_model` without code and environment on Triton Inference Server
from its model repository; here it becomes an Environment with the generated server (run by images.kinds.triton)."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import List, Tuple

from localep.protocol import KSERVE_PROTOCOL
from localep.yamlspec.diagnostics import ERROR, Diagnostic
from localep.yamlspec.model import TRITON_MODEL, Deployment, Environment, GeneratedServer, InferenceConfig, Model, Route

TRITON_IMAGE_VARIABLE = "LOCALEP_TRITON_IMAGE"
# Triton 2.51.0, the server release nvidia-pytriton 0.7.0 bundles (what CI builds with .ci/triton-image).
DEFAULT_TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:24.10-py3"
TRITON_HTTP_PORT = 8000
TRITON_GRPC_PORT = 8001
TRITON_METRICS_PORT = 8002
VERSION_FOLDER = re.compile(r"^[0-9]+$")


def triton_repository_problems(repository: Path) -> List[str]:
    """Triton wants <repository>/<model>/<numbered version>/...; config.pbtxt is optional (it generates one)."""
    if not repository.is_dir():
        return [f"a triton_model's path must be a model repository folder, not a file ({repository})"]
    models = sorted(child for child in repository.iterdir() if child.is_dir() and not child.name.startswith("."))
    if not models:
        return [f"{repository} has no model folders: a Triton model repository holds <model>/<version>/, "
                "e.g. models/model_1/1/model.onnx"]
    problems = []
    for folder in models:
        versions = [child for child in folder.iterdir() if child.is_dir() and VERSION_FOLDER.match(child.name)]
        if not versions:
            problems.append(f"model folder {folder.name} in {repository} has no numbered version folder "
                            f"(e.g. {folder.name}/1/); Triton would serve no version of it")
    return problems


def triton_server(repository_name: str, image: str) -> GeneratedServer:
    """`tritonserver` on the mounted repository; a shell expands $AZUREML_MODEL_DIR (it moves with
    model_mount_path). NVIDIA's image runs it through its own entrypoint."""
    repository = f'"$AZUREML_MODEL_DIR"/{shlex.quote(repository_name)}'
    command = (
        f"exec tritonserver --model-repository={repository} --http-port={TRITON_HTTP_PORT} "
        f"--grpc-port={TRITON_GRPC_PORT} --metrics-port={TRITON_METRICS_PORT}"
    )
    help_text = (
        f"the Triton image {image} is not on this machine and cannot be pulled: on a machine with registry access "
        f"run `docker pull {image}` then `docker save {image} | gzip > triton.tar.gz`, and here "
        f"`docker load < triton.tar.gz`; or build a CPU-only Triton image from PyPI (.ci/triton-image in localep's "
        f"repository) and choose it with --triton-image IMAGE or {TRITON_IMAGE_VARIABLE}=IMAGE"
    )
    return GeneratedServer(command=("/bin/sh", "-c", command), protocol=KSERVE_PROTOCOL, image_help=help_text)


def triton_deployment(deployment: Deployment, model: Model, image: str) -> Tuple[Deployment, List[Diagnostic]]:
    """The deployment served by Triton from its model repository, over KServe v2."""
    assert model.path is not None
    where = deployment.location("model.path")
    problems = triton_repository_problems(model.path)
    if problems:
        return deployment, [Diagnostic(where, ERROR, problem) for problem in problems]
    routes = InferenceConfig(
        liveness_route=Route(TRITON_HTTP_PORT, "/v2/health/live"),
        readiness_route=Route(TRITON_HTTP_PORT, "/v2/health/ready"),
        scoring_route=Route(TRITON_HTTP_PORT, "/"),
    )
    environment = Environment(
        image=image,
        inference_config=routes,
        name=f"{model.mount_name}-triton",
        source=where,
        generated_for=TRITON_MODEL,
        generated_server=triton_server(model.path.name, image),
    )
    return replace(deployment, environment=environment), []
