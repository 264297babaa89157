"""Can this deployment run here? Cloud references and missing local files, each pointing at its YAML line."""

from __future__ import annotations

from pathlib import Path
from typing import List

from localep.registry import ENVIRONMENTS, MODELS, parse_reference
from localep.yamlspec.diagnostics import ERROR, Diagnostic, raise_first_error
from localep.yamlspec.model import BATCH_KIND, CUSTOM_MODEL, MLFLOW_MODEL, DeploymentAssets
from localep.yamlspec.yamlio import Document


def reference_diagnostics(deployment: DeploymentAssets, severity: str = ERROR) -> List[Diagnostic]:
    """`azureml:` assets live in a workspace; a local run needs their files, so say which field to change."""
    problems: List[Diagnostic] = []
    model, environment, code = deployment.model, deployment.environment, deployment.code_configuration
    if model is not None and model.reference:
        problems.append(
            Diagnostic(
                deployment.location("model"),
                severity,
                f"model: {model.reference} is a cloud reference; a local run needs the files: "
                "set model.path to the local folder" + _register_hint(model.reference, MODELS),
            )
        )
    if environment is not None and environment.reference:
        problems.append(
            Diagnostic(
                deployment.location("environment"),
                severity,
                f"environment: {environment.reference} is a cloud reference; a local run needs its definition: "
                "set environment.image (with environment.conda_file) or environment.build.path"
                + _register_hint(environment.reference, ENVIRONMENTS),
            )
        )
    if code is not None and code.reference:
        problems.append(
            Diagnostic(
                deployment.location("code_configuration.code"),
                severity,
                f"code_configuration.code: {code.reference} is a cloud reference; a local run needs the files: "
                "set code_configuration.code to the local folder",
            )
        )
    return problems


def _register_hint(reference: str, kind: str) -> str:
    parsed = parse_reference(reference)
    return f", or register it locally: `{parsed.command_hint(kind)}`" if parsed else ""


def no_code_diagnostics(deployment: DeploymentAssets) -> List[Diagnostic]:
    """MLflow and Triton models get generated serving only when the deployment gives neither a scoring script nor
    an environment; with just one of the two there is nothing to pair it with, in the cloud as here."""
    model = deployment.model
    if model is None or model.reference or model.type == CUSTOM_MODEL:
        return []
    code, environment = deployment.code_configuration, deployment.environment
    if code is None and environment is None and deployment.kind == BATCH_KIND and model.type != MLFLOW_MODEL:
        return [
            Diagnostic(
                deployment.location("model.type"),
                ERROR,
                f"a batch deployment of a {model.type} needs code_configuration and environment: only MLflow "
                "models have a built-in batch driver, in the cloud as here",
            )
        ]
    generated = "the generated MLflow scoring" if model.type == MLFLOW_MODEL else "the Triton server"
    if code is not None and environment is None:
        return [
            Diagnostic(
                deployment.location("code_configuration"),
                ERROR,
                "a scoring script needs an environment to run in: add environment (image with conda_file, or "
                f"build), or remove code_configuration to use {generated}",
            )
        ]
    if code is None and environment is not None and environment.inference_config is None:
        return [
            Diagnostic(
                deployment.location("environment"),
                ERROR,
                "an environment without code_configuration has no scoring script to run: add code_configuration, "
                f"or remove environment to use {generated}",
            )
        ]
    return []


def runnable_diagnostics(deployment: DeploymentAssets) -> List[Diagnostic]:
    """What keeps this deployment from running here: `azureml:` references, then deployments that rely on
    scoring the cloud generates. `up` raises the first; `validate` reports them all."""
    return reference_diagnostics(deployment) + no_code_diagnostics(deployment)


def check_runnable_locally(deployment: DeploymentAssets) -> None:
    raise_first_error(runnable_diagnostics(deployment))


def _missing(document: Document, key: str, path: Path, expect_folder: bool) -> List[Diagnostic]:
    written = document.text(key, "")
    if not path.exists():
        return [document.diagnostic(key, f"{key}: {written} does not exist ({path})")]
    if expect_folder and not path.is_dir():
        return [document.diagnostic(key, f"{key}: {written} is a file, expected a folder ({path})")]
    if not expect_folder and path.is_dir():
        return [document.diagnostic(key, f"{key}: {written} is a folder, expected a file ({path})")]
    return []


def local_file_diagnostics(document: Document, deployment: DeploymentAssets) -> List[Diagnostic]:
    """Every local path the deployment names must exist, so a run fails here and not inside Docker."""
    problems: List[Diagnostic] = []
    code = deployment.code_configuration
    if code is not None and not code.reference:
        code_problems = _missing(document, "code_configuration.code", code.code, expect_folder=True)
        problems += code_problems
        if not code_problems and not code.script_path.is_file():
            problems.append(
                document.diagnostic(
                    "code_configuration.scoring_script",
                    f"code_configuration.scoring_script: {code.scoring_script} not found in {code.code}",
                )
            )
    model = deployment.model
    if model is not None and model.path is not None and not model.path.exists():
        problems.append(document.diagnostic("model.path", f"model.path: {document.text('model.path', '')} does not exist ({model.path})"))
    environment = deployment.environment
    if environment is not None and environment.conda_file is not None:
        problems += _missing(document, "environment.conda_file", environment.conda_file, expect_folder=False)
    if environment is not None and environment.build is not None:
        context_problems = _missing(document, "environment.build.path", environment.build.path, expect_folder=True)
        problems += context_problems
        dockerfile = environment.build.path / environment.build.dockerfile_path
        if not context_problems and not dockerfile.is_file():
            problems.append(
                document.diagnostic(
                    "environment.build.dockerfile_path",
                    f"environment.build: {environment.build.dockerfile_path} not found in the build context "
                    f"{environment.build.path}",
                )
            )
    return problems
