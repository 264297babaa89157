"""No-code deployments: the environment and scoring the cloud generates for MLflow and Triton models.

The cloud serves an `mlflow_model` that has neither code_configuration nor environment from the model folder's own
conda.yaml with a generated scoring script, and a `triton_model` on Triton Inference Server. Here both become an
ordinary typed Environment (and, for MLflow, CodeConfiguration), so images, runtime, reload, debug and the gateway
need no special cases.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from localep.errors import Location
from localep.fileio import atomic_write
from localep.paths import home
from localep.protocol import KSERVE_PROTOCOL
from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.diagnostics import ERROR, Diagnostic
from localep.yamlspec.model import (
    MLFLOW_MODEL,
    TRITON_MODEL,
    CodeConfiguration,
    Deployment,
    DeploymentAssets,
    Environment,
    GeneratedServer,
    InferenceConfig,
    Model,
    Route,
)

# No registry serves the cloud's curated mlflow image locally; the examples' base (conda in the cloud, the offline
# Debian python here) takes the model's environment the same way any conda file is built.
MLFLOW_BASE_IMAGE_VARIABLE = "LOCALEP_MLFLOW_IMAGE"
DEFAULT_MLFLOW_BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
TRITON_IMAGE_VARIABLE = "LOCALEP_TRITON_IMAGE"
# Triton 2.51.0, the server release nvidia-pytriton 0.7.0 bundles (what CI builds with .ci/triton-image).
DEFAULT_TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:24.10-py3"

MLMODEL = "MLmodel"
PYFUNC_FLAVOR = "python_function"
MLFLOW_SCORING_SCRIPT = "mlflow_score_script.py"
MLFLOW_BATCH_DRIVER = "mlflow_batch_driver.py"
MLFLOW_RESOURCES = Path(__file__).resolve().parents[1] / "_templates" / "mlflow_resources"
MLFLOW_MODEL_FOLDER = "MLFLOW_MODEL_FOLDER"

TRITON_HTTP_PORT = 8000
TRITON_GRPC_PORT = 8001
TRITON_METRICS_PORT = 8002
VERSION_FOLDER = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class NoCodeImages:
    """Which images no-code deployments run on: a user's machine setting, not part of the YAML."""

    mlflow_base: str = DEFAULT_MLFLOW_BASE_IMAGE
    triton: str = DEFAULT_TRITON_IMAGE


def no_code_images(environ: Mapping[str, str], triton_image: Optional[str] = None) -> NoCodeImages:
    """`--triton-image` wins over LOCALEP_TRITON_IMAGE; LOCALEP_MLFLOW_IMAGE picks the MLflow base image."""
    return NoCodeImages(
        mlflow_base=environ.get(MLFLOW_BASE_IMAGE_VARIABLE) or DEFAULT_MLFLOW_BASE_IMAGE,
        triton=triton_image or environ.get(TRITON_IMAGE_VARIABLE) or DEFAULT_TRITON_IMAGE,
    )


def is_no_code(deployment: DeploymentAssets) -> bool:
    """The cloud generates the serving only when the deployment gives neither scoring script nor environment."""
    model = deployment.model
    return (
        model is not None
        and not model.reference
        and model.type in (MLFLOW_MODEL, TRITON_MODEL)
        and deployment.code_configuration is None
        and deployment.environment is None
    )


def complete_no_code(deployment: Deployment, images: NoCodeImages) -> Tuple[Deployment, List[Diagnostic]]:
    """The deployment with the environment (and scoring) the cloud would generate, or unchanged when it has its
    own; plus what keeps the generated serving from working (no MLmodel, an empty Triton repository...)."""
    if not is_no_code(deployment) or deployment.model is None or deployment.model.path is None:
        return deployment, []
    model = deployment.model
    assert model.path is not None
    if not model.path.exists():
        return deployment, []  # the loader already reports the missing model.path
    if model.type == MLFLOW_MODEL:
        return _mlflow_deployment(deployment, model, images)
    return _triton_deployment(deployment, model, images)


# --- MLflow -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MlflowModelFolder:
    """What an MLflow model folder says about serving it: its flavors and the environment files it ships."""

    folder: Path
    flavors: Tuple[str, ...]
    python_version: Optional[str] = None
    conda_file: Optional[Path] = None
    python_env_file: Optional[Path] = None
    requirements_file: Optional[Path] = None


def read_mlflow_model(folder: Path) -> Tuple[Optional[MlflowModelFolder], List[str]]:
    """The MLmodel file's serving facts, or the reasons the cloud could not serve this folder."""
    if not folder.is_dir():
        return None, [f"an mlflow_model's path must be the model folder holding {MLMODEL}, not a file ({folder})"]
    mlmodel = folder / MLMODEL
    if not mlmodel.is_file():
        return None, [f"no {MLMODEL} file in {folder}: an mlflow_model's path must be a folder saved by mlflow "
                      "(mlflow.<flavor>.save_model or the artifacts of a logged model)"]
    try:
        data = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return None, [f"{mlmodel} is not valid YAML: {error}"]
    flavors = data.get("flavors") if isinstance(data, dict) else None
    if not isinstance(flavors, dict) or not flavors:
        return None, [f"{mlmodel} names no flavors: the model cannot be loaded"]
    pyfunc = flavors.get(PYFUNC_FLAVOR)
    if not isinstance(pyfunc, dict):
        return None, [f"{mlmodel} has no {PYFUNC_FLAVOR} flavor (it has {', '.join(sorted(flavors))}); no-code "
                      "deployments load models with mlflow.pyfunc only, as the cloud does"]
    problems = []
    if not isinstance(pyfunc.get("loader_module"), str):
        problems.append(f"{mlmodel}: the {PYFUNC_FLAVOR} flavor has no loader_module, so mlflow.pyfunc cannot load it")
    env = pyfunc.get("env")
    named = env if isinstance(env, dict) else {"conda": env} if isinstance(env, str) else {}
    conda = folder / str(named.get("conda") or "conda.yaml")
    python_env = folder / str(named.get("virtualenv") or "python_env.yaml")
    requirements = folder / "requirements.txt"
    found = MlflowModelFolder(
        folder=folder,
        flavors=tuple(flavors),
        python_version=None if pyfunc.get("python_version") is None else str(pyfunc["python_version"]),
        conda_file=conda if conda.is_file() else None,
        python_env_file=python_env if python_env.is_file() else None,
        requirements_file=requirements if requirements.is_file() else None,
    )
    return found, problems


@dataclass(frozen=True)
class MlflowServing:
    """What a no-code MLflow model runs with: the model's environment, localep's script, the model folder's name."""

    environment: Environment
    code_configuration: CodeConfiguration
    variables: Dict[str, str]


def mlflow_serving(
    model: Model, where: Location, images: NoCodeImages, script: str = MLFLOW_SCORING_SCRIPT
) -> Tuple[Optional[MlflowServing], List[Diagnostic]]:
    """The generated serving for an MLflow model folder (online: the scoring script; batch: the batch driver), or
    why the cloud could not serve it."""
    assert model.path is not None
    found, problems = read_mlflow_model(model.path)
    if found is not None and not (found.conda_file or found.python_env_file or found.requirements_file):
        problems.append(f"{model.path} has no conda.yaml, python_env.yaml or requirements.txt: the model's "
                        "environment is unknown (save the model with mlflow, which writes them, or give the "
                        "deployment an environment and a scoring script)")
    if found is None or problems:
        return None, [Diagnostic(where, ERROR, problem) for problem in problems]
    environment = Environment(
        image=images.mlflow_base,
        conda_file=mlflow_conda_file(found),
        name=f"{model.mount_name}-mlflow-env",
        source=where,
        generated_for=MLFLOW_MODEL,
    )
    code = CodeConfiguration(code=MLFLOW_RESOURCES, scoring_script=script, source=where)
    return MlflowServing(environment, code, {MLFLOW_MODEL_FOLDER: model.path.name}), []


def _mlflow_deployment(
    deployment: Deployment, model: Model, images: NoCodeImages
) -> Tuple[Deployment, List[Diagnostic]]:
    serving, problems = mlflow_serving(model, deployment.location("model.path"), images)
    if serving is None:
        return deployment, problems
    variables = {**serving.variables, **deployment.environment_variables}
    completed = replace(deployment, environment=serving.environment, code_configuration=serving.code_configuration,
                        environment_variables=variables)
    return completed, []


def mlflow_conda_file(found: MlflowModelFolder) -> Path:
    """The model's conda.yaml as it is; else one made from python_env.yaml / requirements.txt, so the same conda
    or pip build (content hash, warnings) applies."""
    if found.conda_file is not None:
        return found.conda_file
    return _generated_conda_file(conda_text_from_pip_files(found))


def conda_text_from_pip_files(found: MlflowModelFolder) -> str:
    """python_env.yaml's python and dependencies (`-r requirements.txt` inlined), else requirements.txt alone."""
    python = found.python_version
    entries: List[str] = []
    if found.python_env_file is not None:
        data = yaml.safe_load(found.python_env_file.read_text(encoding="utf-8")) or {}
        python = str(data.get("python") or python or "") or None
        for entry in data.get("dependencies") or []:
            entries += _expand_requirement(str(entry), found.folder)
    elif found.requirements_file is not None:
        entries = _expand_requirement(f"-r {found.requirements_file.name}", found.folder)
    dependencies: List[Any] = [f"python={python}"] if python else []
    dependencies += ["pip", {"pip": entries}]
    document = {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": dependencies}
    return yaml.safe_dump(document, sort_keys=False)


def _expand_requirement(entry: str, folder: Path) -> List[str]:
    entry = entry.split("#", 1)[0].strip()
    for flag in ("-r ", "--requirement "):
        if entry.startswith(flag):
            path = folder / entry[len(flag):].strip()
            lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            return [item for line in lines for item in _expand_requirement(line, path.parent)]
    return [entry] if entry else []


def _generated_conda_file(text: str) -> Path:
    """Under $LOCALEP_HOME (not a shared temp folder others could write), named by content so the image cache key,
    which hashes the file's bytes, is stable across runs; rewritten whenever its bytes differ."""
    path = home() / "generated" / f"mlflow-conda-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yml"
    try:
        current: Optional[str] = path.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != text:
        atomic_write(path, text, private=True)
    return path


def complete_batch_no_code(
    deployment: BatchDeployment, images: NoCodeImages
) -> Tuple[BatchDeployment, List[Diagnostic]]:
    """A batch `mlflow_model` without code and environment runs the built-in batch driver in the model's own
    environment, as the cloud does (Triton models have no batch driver: no_code_diagnostics says so)."""
    model = deployment.model
    if not is_no_code(deployment) or model is None or model.type != MLFLOW_MODEL:
        return deployment, []
    if model.path is None or not model.path.exists():
        return deployment, []  # the loader already reports the missing model.path
    serving, problems = mlflow_serving(model, deployment.location("model.path"), images, MLFLOW_BATCH_DRIVER)
    if serving is None:
        return deployment, problems
    variables = {**serving.variables, **deployment.settings.environment_variables}
    settings = replace(deployment.settings, environment_variables=variables)
    completed = replace(deployment, environment=serving.environment, code_configuration=serving.code_configuration,
                        settings=settings)
    return completed, []


# --- Triton -----------------------------------------------------------------------------------------------------


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


def _triton_deployment(
    deployment: Deployment, model: Model, images: NoCodeImages
) -> Tuple[Deployment, List[Diagnostic]]:
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
        image=images.triton,
        inference_config=routes,
        name=f"{model.mount_name}-triton",
        source=where,
        generated_for=TRITON_MODEL,
        generated_server=triton_server(model.path.name, images.triton),
    )
    return replace(deployment, environment=environment), []

