"""Batch deployment and batch endpoint YAML -> typed objects, with every problem at its file and line.

Same two layers as the online loader: `read_*` collects Diagnostics (for `validate`), `load_*` raises the
first error (for `batch run` and `batch invoke`). Model, environment and code are built by the online
loader's own functions, so both kinds of deployment read them identically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from localep.errors import Location, SpecError
from localep.yamlspec.batch_model import (
    DEFAULT_OUTPUT_FILE_NAME,
    FLAT_FORM,
    LOGGING_LEVELS,
    MODEL_FORM,
    OUTPUT_ACTIONS,
    SUMMARY_ONLY,
    BatchDeployment,
    BatchEndpoint,
    BatchSettings,
    RetrySettings,
)
from localep.yamlspec.batch_schema import BATCH_ENDPOINT as BATCH_ENDPOINT_SCHEMA
from localep.yamlspec.batch_schema import FLAT_BATCH_DEPLOYMENT, MODEL_BATCH_DEPLOYMENT
from localep.yamlspec.diagnostics import WARNING, Diagnostic, errors_of, raise_first_error
from localep.yamlspec.loader import (
    BATCH_DEPLOYMENT,
    CONDA_ENVIRONMENT,
    DEPLOYMENT,
    YAML_SUFFIXES,
    _base_dir,
    _build_code_configuration,
    _build_environment,
    _build_model,
    _completeness_problems,
    _given,
    _text_map,
    classify,
)
from localep.yamlspec.nocode import complete_batch_no_code, no_code_images
from localep.yamlspec.runnable import check_runnable_locally, local_file_diagnostics
from localep.yamlspec.schema import canonical_choice, check_field
from localep.yamlspec.yamlio import Document, apply_overrides, read_document


def deployment_form(data: Dict[str, Any]) -> str:
    """`type: model` reads `settings:`; without `type` the cloud assumes the legacy flat form."""
    return MODEL_FORM if data.get("type") is not None else FLAT_FORM


def read_batch_deployment(
    document: Document, overrides: Sequence[str] = ()
) -> Tuple[Optional[BatchDeployment], List[Diagnostic]]:
    document, problems = apply_overrides(document, overrides)
    problems = list(document.problems) + problems
    form = deployment_form(document.data)
    if str(document.data.get("type", "")).lower() == "pipeline":
        problems.append(document.diagnostic(
            "type", "type: pipeline deployments run pipeline components, which localep does not run; "
            "use type: model with code_configuration and a scoring script"))
        return None, problems
    schema = MODEL_BATCH_DEPLOYMENT if form == MODEL_FORM else FLAT_BATCH_DEPLOYMENT
    problems += check_field(document, document.data, schema, "")
    if errors_of(problems):
        return None, problems
    deployment, build_problems = _build_batch_deployment(document, form)
    problems += build_problems + local_file_diagnostics(document, deployment)
    deployment, no_code_problems = complete_batch_no_code(deployment, no_code_images(os.environ))
    return deployment, problems + no_code_problems


def _build_batch_deployment(document: Document, form: str) -> Tuple[BatchDeployment, List[Diagnostic]]:
    data = document.data
    base = _base_dir(document)
    model = _build_model(document, base)
    environment, problems = _build_environment(document, base)
    code_configuration = _build_code_configuration(document, base)
    problems += _completeness_problems(document, model, environment, code_configuration)
    prefix = "settings." if form == MODEL_FORM else ""
    given = _given(data.get("settings")) if form == MODEL_FORM else _given(data)
    settings, settings_problems = _build_settings(document, given, prefix)
    problems += settings_problems
    resources = _given(data.get("resources"))
    # The SDK copies settings.instance_count into resources.instance_count when that is unset.
    instance_count = resources.get("instance_count", given.get("instance_count", 1) if form == MODEL_FORM else 1)
    if data.get("compute") is None:
        problems.append(document.diagnostic(
            "", "missing compute: the cloud requires it (compute: azureml:<cluster>); localep runs without it",
            WARNING))
    deployment = BatchDeployment(
        name=data["name"],
        endpoint_name=data["endpoint_name"].lower(),
        file=document.file,
        form=form,
        model=model,
        code_configuration=code_configuration,
        environment=environment,
        compute=data.get("compute"),
        instance_count=instance_count,
        instance_type=resources.get("instance_type"),
        settings=settings,
        description=data.get("description"),
        tags=_text_map(document, "tags"),
        raw=data,
        lines=dict(document.lines),
    )
    return deployment, problems


def _build_settings(document: Document, given: Dict[str, Any], prefix: str) -> Tuple[BatchSettings, List[Diagnostic]]:
    problems: List[Diagnostic] = []
    output_action = canonical_choice(given.get("output_action", OUTPUT_ACTIONS[0]), OUTPUT_ACTIONS) or OUTPUT_ACTIONS[0]
    if output_action == SUMMARY_ONLY and "output_file_name" in given:
        problems.append(document.diagnostic(
            f"{prefix}output_file_name",
            "When output_action is set to summary_only, the output_file_name need not to be specified."))
    output_file_name = given.get("output_file_name", DEFAULT_OUTPUT_FILE_NAME)
    if os.path.basename(output_file_name) != output_file_name or output_file_name in ("", ".", ".."):
        problems.append(document.diagnostic(
            f"{prefix}output_file_name", f"{prefix}output_file_name: '{output_file_name}' must be a plain file name"))
    variables = given.get("environment_variables") or {}
    settings = BatchSettings(
        max_concurrency_per_instance=given.get("max_concurrency_per_instance", 1),
        mini_batch_size=given.get("mini_batch_size", 10),
        output_action=output_action,
        output_file_name=output_file_name,
        retry_settings=RetrySettings(**_given(given.get("retry_settings"))),
        error_threshold=given.get("error_threshold", -1),
        logging_level=canonical_choice(given.get("logging_level", "info"), LOGGING_LEVELS) or "info",
        environment_variables={
            name: document.text(f"{prefix}environment_variables.{name}", value) for name, value in variables.items()
        },
    )
    return settings, problems


def read_batch_endpoint(document: Document) -> Tuple[Optional[BatchEndpoint], List[Diagnostic]]:
    problems = list(document.problems) + check_field(document, document.data, BATCH_ENDPOINT_SCHEMA, "")
    if errors_of(problems):
        return None, problems
    data = document.data
    defaults = _given(data.get("defaults"))
    endpoint = BatchEndpoint(
        name=data["name"].lower(),
        file=document.file,
        default_deployment=defaults.get("deployment_name"),
        description=data.get("description"),
        tags=_text_map(document, "tags"),
        lines=dict(document.lines),
    )
    return endpoint, problems


def load_batch_deployment(path: Path, overrides: Sequence[str] = ()) -> BatchDeployment:
    """A batch deployment ready to run here: shape, local files and no `azureml:` assets."""
    document = read_document(path)
    if classify(document.data) == CONDA_ENVIRONMENT:
        raise SpecError("this is a conda environment file, not a batch deployment", document.location())
    if "endpoint_name" not in document.data:
        raise SpecError(
            "not a batch deployment file: it has no endpoint_name (for a batch endpoint use `localep batch invoke`)",
            document.location())
    deployment, problems = read_batch_deployment(document, overrides)
    raise_first_error(problems)
    assert deployment is not None
    check_runnable_locally(deployment)
    return deployment


def load_batch_endpoint(path: Path) -> BatchEndpoint:
    document = read_document(path)
    if "endpoint_name" in document.data:
        raise SpecError("not a batch endpoint file: it has endpoint_name, so it is a deployment "
                        "(run it with `localep batch run`)", document.location())
    endpoint, problems = read_batch_endpoint(document)
    raise_first_error(problems)
    assert endpoint is not None
    return endpoint


def batch_deployment_files(folder: Path, endpoint_name: str) -> Dict[str, Path]:
    """The batch deployments of `endpoint_name` among the YAML files in `folder`, by deployment name."""
    found: Dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix not in YAML_SUFFIXES:
            continue
        try:
            data = read_document(path).data
        except SpecError:
            continue
        if classify(data) not in (BATCH_DEPLOYMENT, DEPLOYMENT):
            continue
        if str(data.get("endpoint_name", "")).lower() == endpoint_name and isinstance(data.get("name"), str):
            found.setdefault(data["name"], path)
    return found


def select_deployment(endpoint: BatchEndpoint, deployment_name: Optional[str]) -> Path:
    """The file of the deployment a job on `endpoint` runs, with the cloud's messages when there is none."""
    files = batch_deployment_files(endpoint.file.parent, endpoint.name)
    if not files:
        raise SpecError(
            f"No deployment exists for this endpoint: no batch deployment with endpoint_name: {endpoint.name} "
            f"next to {endpoint.file.name}", Location(endpoint.file))
    wanted = deployment_name or endpoint.default_deployment
    if wanted is None:
        raise SpecError(
            "No valid deployments to route to: the endpoint has no defaults.deployment_name; set it or pass "
            f"--deployment (one of: {', '.join(files)})", endpoint.location("defaults"))
    if wanted not in files:
        where = endpoint.location("defaults.deployment_name") if deployment_name is None else Location(endpoint.file)
        raise SpecError(
            f"deployment '{wanted}' not found for endpoint {endpoint.name}; its deployments here are: "
            f"{', '.join(files)}", where)
    return files[wanted]
