"""`localep validate` for batch deployment and batch endpoint files: the batch loader's problems plus the script."""

from __future__ import annotations

from typing import List

from localep.validate.checks import check_scoring_script
from localep.yamlspec.batch_loader import read_batch_deployment, read_batch_endpoint
from localep.yamlspec.diagnostics import Diagnostic
from localep.yamlspec.loader import BATCH_DEPLOYMENT
from localep.yamlspec.runnable import runnable_diagnostics
from localep.yamlspec.yamlio import Document


def validate_batch_file(document: Document, kind: str) -> List[Diagnostic]:
    if kind != BATCH_DEPLOYMENT:
        return read_batch_endpoint(document)[1]
    deployment, problems = read_batch_deployment(document)
    if deployment is None:
        return problems
    problems += runnable_diagnostics(deployment)
    code = deployment.code_configuration
    if code is not None and not code.reference and code.script_path.is_file():
        problems += check_scoring_script(code.script_path, batch=True)
    return problems
