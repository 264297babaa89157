"""Can this deployment run here? Cloud references and missing local files, each pointing at its YAML line."""

from __future__ import annotations

from pathlib import Path
from typing import List

from localep.spec.diagnostics import ERROR, Diagnostic, raise_first_error
from localep.spec.model import DeploymentAssets
from localep.spec.yamlio import Document


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
                "set model.path to the local folder",
            )
        )
    if environment is not None and environment.reference:
        problems.append(
            Diagnostic(
                deployment.location("environment"),
                severity,
                f"environment: {environment.reference} is a cloud reference; a local run needs its definition: "
                "set environment.image (with environment.conda_file) or environment.build.path",
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


def no_code_diagnostics(deployment: DeploymentAssets) -> List[Diagnostic]:
    """The cloud generates scoring for MLflow and Triton models without code; localep does not (yet), so say so
    up front instead of letting the server die without an entry script."""
    model = deployment.model
    if deployment.code_configuration is not None or model is None or model.reference:
        return []
    if deployment.environment is not None and deployment.environment.inference_config is not None:
        return []
    return [
        Diagnostic(
            deployment.location("model.type" if model.type != "custom_model" else "model"),
            ERROR,
            f"a {model.type} deployment without code_configuration runs in the cloud with generated scoring, which "
            "localep does not provide: add code_configuration (code folder and scoring_script with init() and run())",
        )
    ]


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
