"""`localep validate`: run the loader and every extra check over files and folders, collecting all problems.

No Docker and no imports of user code, so it is fast enough for a pre-commit hook. Pre-commit passes
every changed YAML file, so files that are not Azure ML online specs (CI workflows, compose files)
are skipped rather than reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from localep.errors import Location, SpecError
from localep.validate.batch import validate_batch_file
from localep.validate.checks import (
    KnownDeployment,
    check_inference_server,
    check_instance_type,
    check_model_files,
    check_scoring_script,
    check_traffic_shares,
    check_traffic_targets,
)
from localep.yamlspec.conda import parse_conda_file
from localep.yamlspec.diagnostics import ERROR, WARNING, Diagnostic
from localep.yamlspec.emulation import fields_noticed, notice
from localep.yamlspec.loader import (
    BATCH_DEPLOYMENT,
    BATCH_ENDPOINT,
    CONDA_ENVIRONMENT,
    DEPLOYMENT,
    ENDPOINT_FOUND,
    classify,
    duplicate_name_diagnostics,
    endpoint_beside,
    endpoint_mismatch_diagnostics,
    expand_paths,
    looks_like_online_endpoint,
    read_deployment,
    read_endpoint,
)
from localep.yamlspec.model import Deployment, Endpoint
from localep.yamlspec.runnable import runnable_diagnostics
from localep.yamlspec.yamlio import Document, read_document

_AZUREML_WORDS = ("endpoint_name", "azureml", "auth_mode", "code_configuration", "scoring_script")


@dataclass
class ValidationReport:
    checked: List[Path] = field(default_factory=list)
    skipped: List[Path] = field(default_factory=list)  # YAML that is not an Azure ML online spec
    diagnostics: List[Diagnostic] = field(default_factory=list)
    not_emulated: List[str] = field(default_factory=list)  # fields set that have no local effect
    read_only: List[str] = field(default_factory=list)  # `az ml ... show` output fields, ignored

    @property
    def errors(self) -> List[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.severity == ERROR]

    @property
    def warnings(self) -> List[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.severity == WARNING]

    def to_dict(self) -> Dict[str, object]:
        return {
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checked": [str(path) for path in self.checked],
            "skipped": [str(path) for path in self.skipped],
            "diagnostics": [diagnostic.to_dict() for diagnostic in self.diagnostics],
            "not_emulated": self.not_emulated,
            "read_only_ignored": self.read_only,
        }

    def notice(self) -> List[str]:
        return notice(self.not_emulated, self.read_only)


def _check_file(report: ValidationReport, path: Path, document: Document, deployments: List[KnownDeployment],
                loaded: List[Deployment], endpoints: List[Endpoint]) -> None:
    """Check one file by what it is; the deployments and endpoints it holds are kept for the checks across files."""
    kind = classify(document.data)
    _note_fields(report, kind, document)
    if kind == DEPLOYMENT:
        report.checked.append(path)
        known, deployment, problems = validate_deployment(document)
        report.diagnostics += problems
        deployments += known
        if deployment is not None:
            loaded.append(deployment)
    elif kind in (BATCH_DEPLOYMENT, BATCH_ENDPOINT):
        report.checked.append(path)
        report.diagnostics += validate_batch_file(document, kind)
    elif kind != CONDA_ENVIRONMENT and looks_like_online_endpoint(document):
        report.checked.append(path)
        endpoint, problems = read_endpoint(document)
        report.diagnostics += problems
        if endpoint is not None:
            report.diagnostics += check_traffic_shares(endpoint)
            endpoints.append(endpoint)
    else:
        report.skipped.append(path)


def _mentions_azureml(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return any(word in text for word in _AZUREML_WORDS)


def validate_paths(paths: Sequence[Path]) -> ValidationReport:
    """Check every YAML file in `paths` (folders: the files directly inside) and return all problems."""
    report = ValidationReport()
    deployments: List[KnownDeployment] = []
    loaded: List[Deployment] = []
    endpoints: List[Endpoint] = []
    for path in expand_paths(paths):
        try:
            document = read_document(path)
        except SpecError as error:
            if _mentions_azureml(path):
                report.checked.append(path)
                report.diagnostics.append(Diagnostic(error.location or Location(path), ERROR, error.message))
            else:
                report.skipped.append(path)
            continue
        _check_file(report, path, document, deployments, loaded, endpoints)
    for endpoint in endpoints:
        known = _deduplicated(deployments + _deployments_beside(endpoint))
        if known:
            report.diagnostics += check_traffic_targets(endpoint, known)
    report.diagnostics += duplicate_name_diagnostics(loaded) + _endpoint_mismatches(loaded)
    report.diagnostics = list(dict.fromkeys(report.diagnostics))
    return report


def _note_fields(report: ValidationReport, kind: str, document: Document) -> None:
    unemulated, read_only = fields_noticed(kind, document.lines)
    report.not_emulated += [name for name in unemulated if name not in report.not_emulated]
    report.read_only += [name for name in read_only if name not in report.read_only]


def validate_deployment(document: Document) -> Tuple[List[KnownDeployment], Optional[Deployment], List[Diagnostic]]:
    """The checks `up` makes (loader, local files, runnable here), plus those that need the deployment's files:
    script, conda, instance type."""
    deployment, problems = read_deployment(document)
    known = _known(document)
    if deployment is None:
        return known, None, problems
    problems += check_instance_type(deployment) + runnable_diagnostics(deployment)
    problems += _script_problems(deployment) + _conda_problems(deployment) + check_model_files(deployment)
    return known, deployment, problems


def _endpoint_mismatches(deployments: Sequence[Deployment]) -> List[Diagnostic]:
    """`up DEPLOYMENT.yml` joins the endpoint file beside it, so a different name there fails `up`."""
    problems: List[Diagnostic] = []
    for deployment in deployments:
        path = endpoint_beside(deployment.file)
        if path is None:
            continue
        try:
            endpoint, _ = read_endpoint(read_document(path))
        except SpecError:
            continue  # reported when that file is validated itself
        if endpoint is not None:
            problems += endpoint_mismatch_diagnostics(endpoint, [deployment], ENDPOINT_FOUND)
    return problems


def _script_problems(deployment: Deployment) -> List[Diagnostic]:
    code = deployment.code_configuration
    if code is None or code.reference or not code.script_path.is_file():
        return []
    return check_scoring_script(code.script_path)


def _conda_problems(deployment: Deployment) -> List[Diagnostic]:
    environment = deployment.environment
    if environment is None or environment.conda_file is None or not environment.conda_file.is_file():
        return []
    if environment.inference_config is not None:
        return []  # a custom container serves HTTP itself
    if environment.generated_for is not None:
        return []  # the model's own environment: localep adds the server, as the cloud's MLflow image does
    try:
        conda = parse_conda_file(environment.conda_file)
    except SpecError as error:
        return [Diagnostic(error.location or Location(environment.conda_file), ERROR, error.message)]
    return check_inference_server(conda)


def _known(document: Document) -> List[KnownDeployment]:
    name, endpoint_name = document.data.get("name"), document.data.get("endpoint_name")
    if not isinstance(name, str) or not isinstance(endpoint_name, str):
        return []
    return [KnownDeployment(name, endpoint_name, document.file)]


def _deployments_beside(endpoint: Endpoint) -> List[KnownDeployment]:
    """Deployment files next to the endpoint file: pre-commit may pass the endpoint without them."""
    if endpoint.file is None:
        return []
    known: List[KnownDeployment] = []
    for path in expand_paths([endpoint.file.parent]):
        try:
            document = read_document(path)
        except SpecError:
            continue
        if classify(document.data) == DEPLOYMENT:
            known += _known(document)
    return known


def _deduplicated(deployments: List[KnownDeployment]) -> List[KnownDeployment]:
    unique: Dict[Tuple[str, str], KnownDeployment] = {}
    for deployment in deployments:
        unique.setdefault((os.path.abspath(deployment.file), deployment.name), deployment)
    return list(unique.values())
