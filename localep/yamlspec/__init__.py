"""Azure ML endpoint and deployment YAML -> typed, checked objects (see model.py for the types)."""

from localep.yamlspec.conda import CondaEnvironment, parse_conda_file
from localep.yamlspec.diagnostics import ERROR, WARNING, Diagnostic
from localep.yamlspec.loader import (
    classify,
    expand_paths,
    load_deployment,
    load_endpoint,
    load_project,
    read_deployment,
    read_endpoint,
)
from localep.yamlspec.runnable import check_runnable_locally, reference_diagnostics
from localep.yamlspec.yamlio import read_document

__all__ = [
    "ERROR",
    "WARNING",
    "CondaEnvironment",
    "Diagnostic",
    "check_runnable_locally",
    "classify",
    "expand_paths",
    "load_deployment",
    "load_endpoint",
    "load_project",
    "parse_conda_file",
    "read_deployment",
    "read_document",
    "read_endpoint",
    "reference_diagnostics",
]
