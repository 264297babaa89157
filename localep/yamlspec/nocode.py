"""No-code deployments: the environment and scoring the cloud generates for MLflow and Triton models (one module
each: nocode_mlflow.py, nocode_triton.py; this one decides which applies).

The cloud serves an `mlflow_model` that has neither code_configuration nor environment from the model folder's own
conda.yaml with a generated scoring script, and a `triton_model` on Triton Inference Server. Here both become an
ordinary typed Environment (and, for MLflow, CodeConfiguration), so images, runtime, reload, debug and the gateway
need no special cases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import List, Mapping, Optional, Tuple

from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.diagnostics import Diagnostic
from localep.yamlspec.model import MLFLOW_MODEL, TRITON_MODEL, Deployment, DeploymentAssets
from localep.yamlspec.nocode_mlflow import (
    DEFAULT_MLFLOW_BASE_IMAGE,
    MLFLOW_BASE_IMAGE_VARIABLE,
    MLFLOW_BATCH_DRIVER,
    mlflow_deployment,
    mlflow_serving,
)
from localep.yamlspec.nocode_triton import DEFAULT_TRITON_IMAGE, TRITON_IMAGE_VARIABLE, triton_deployment


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
        return mlflow_deployment(deployment, model, images.mlflow_base)
    return triton_deployment(deployment, model, images.triton)


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
    serving, problems = mlflow_serving(model, deployment.location("model.path"), images.mlflow_base, MLFLOW_BATCH_DRIVER)
    if serving is None:
        return deployment, problems
    variables = {**serving.variables, **deployment.settings.environment_variables}
    settings = replace(deployment.settings, environment_variables=variables)
    completed = replace(deployment, environment=serving.environment, code_configuration=serving.code_configuration,
                        settings=settings)
    return completed, []
