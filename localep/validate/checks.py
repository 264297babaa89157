"""Checks beyond the loader's: what makes a deployment fail in the cloud after a slow upload.

Each function is pure apart from reading the file it is about, and returns Diagnostics.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set

from localep.errors import Location
from localep.yamlspec.conda import CondaEnvironment, package_name
from localep.yamlspec.diagnostics import ERROR, Diagnostic
from localep.yamlspec.model import MLFLOW_MODEL, TRITON_MODEL, Deployment, Endpoint
from localep.yamlspec.nocode import is_no_code
from localep.yamlspec.nocode_mlflow import read_mlflow_model
from localep.yamlspec.nocode_triton import triton_repository_problems
from localep.yamlspec.traffic import mirror_problems, traffic_problems

INFERENCE_SERVER_PACKAGES = ("azureml-inference-server-http", "azureml-defaults")


def _top_level_names(statements: Iterable[ast.stmt]) -> Dict[str, ast.stmt]:
    """Names a module binds at import time, including inside top-level if/try/with blocks."""
    names: Dict[str, ast.stmt] = {}
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[statement.name] = statement
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                names[(alias.asname or alias.name).split(".")[0]] = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = statement
        elif isinstance(statement, (ast.If, ast.Try, ast.With)):
            blocks = [statement.body, getattr(statement, "orelse", []), getattr(statement, "finalbody", [])]
            blocks += [handler.body for handler in getattr(statement, "handlers", [])]
            for block in blocks:
                names.update(_top_level_names(block))
    return names


ONLINE_CALLS = {"init": "init() once at start", "run": "run(data) for every request", "argument": "run(data) with the request"}
BATCH_CALLS = {"init": "init() once in every worker process", "run": "run(mini_batch) for every mini-batch",
               "argument": "run(mini_batch) with the mini-batch's file paths"}


def check_scoring_script(script: Path, batch: bool = False) -> List[Diagnostic]:
    """The script must parse and define init() and run(data); read with `ast`, never imported."""
    caller, calls = ("the batch driver", BATCH_CALLS) if batch else ("the inference server", ONLINE_CALLS)
    try:
        source = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Diagnostic(Location(script), ERROR, f"cannot read the scoring script: {error}")]
    try:
        tree = ast.parse(source, filename=str(script))
    except SyntaxError as error:
        return [Diagnostic(Location(script, error.lineno), ERROR, f"syntax error: {error.msg}")]
    names = _top_level_names(tree.body)
    problems = [
        Diagnostic(
            Location(script),
            ERROR,
            f"the scoring script defines no {name}() function; {caller} calls {purpose}",
        )
        for name, purpose in calls.items()
        if name in ("init", "run") and name not in names
    ]
    run = names.get("run")
    if isinstance(run, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = run.args
        if not (arguments.args or arguments.posonlyargs or arguments.vararg):
            problems.append(
                Diagnostic(
                    Location(script, run.lineno),
                    ERROR,
                    f"run() takes no argument; {caller} calls {calls['argument']}",
                )
            )
    return problems


def _requirement_names(requirements: Path, seen: Set[Path]) -> Set[str]:
    """Package names in a pip requirements file named by `-r`, following nested `-r` once each."""
    if requirements in seen or not requirements.is_file():
        return set()
    seen.add(requirements)
    names: Set[str] = set()
    for line in requirements.read_text(encoding="utf-8", errors="replace").splitlines():
        entry = line.split("#", 1)[0].strip()
        names |= _pip_entry_names(entry, requirements.parent, seen)
    return names


def _pip_entry_names(entry: str, folder: Path, seen: Set[Path]) -> Set[str]:
    for flag in ("-r ", "--requirement "):
        if entry.startswith(flag):
            return _requirement_names(folder / entry[len(flag) :].strip(), seen)
    if not entry or entry.startswith("-"):
        return set()
    return {package_name(entry).lower().replace("_", "-")}


def check_inference_server(conda: CondaEnvironment) -> List[Diagnostic]:
    """A conda environment without the inference server starts no HTTP server, locally or in the cloud."""
    folder = conda.file.parent if conda.file else Path(".")
    seen: Set[Path] = set()
    names: Set[str] = set()
    for entry in conda.pip_packages:
        names |= _pip_entry_names(entry, folder, seen)
    if names & set(INFERENCE_SERVER_PACKAGES):
        return []
    line = conda.lines.get("dependencies.pip") or conda.lines.get("dependencies")
    return [
        Diagnostic(
            Location(conda.file or Path("conda.yml"), line),
            ERROR,
            "the environment lacks the inference server: add azureml-inference-server-http "
            "(or azureml-defaults) under pip:",
        )
    ]


def check_instance_type(deployment: Deployment) -> List[Diagnostic]:
    if deployment.kind != "managed" or deployment.instance_type:
        return []
    return [
        Diagnostic(
            deployment.location(),
            ERROR,
            "missing instance_type: managed deployments need one (e.g. instance_type: Standard_DS3_v2)",
        )
    ]


def _endpoint_location(endpoint: Endpoint, dotted_key: str) -> Location:
    return endpoint.location(dotted_key) or Location(Path(endpoint.name))


def check_traffic_shares(endpoint: Endpoint) -> List[Diagnostic]:
    """Live traffic adds up to at most 100; mirror traffic goes to one deployment, at most 50%."""
    problems = traffic_problems(endpoint.traffic) + mirror_problems(endpoint.mirror_traffic)
    return [Diagnostic(_endpoint_location(endpoint, key), ERROR, message) for key, message in problems]


@dataclass(frozen=True)
class KnownDeployment:
    """A deployment file's identity, enough to check traffic names even when the file has other errors."""

    name: str
    endpoint_name: str
    file: Path


def check_traffic_targets(endpoint: Endpoint, deployments: Sequence[KnownDeployment]) -> List[Diagnostic]:
    """Every deployment named in traffic or mirror_traffic must exist and belong to this endpoint."""
    problems: List[Diagnostic] = []
    for section, shares in (("traffic", endpoint.traffic), ("mirror_traffic", endpoint.mirror_traffic)):
        for name in shares:
            candidates = [deployment for deployment in deployments if deployment.name == name]
            if any(candidate.endpoint_name == endpoint.name for candidate in candidates):
                continue
            location = _endpoint_location(endpoint, f"{section}.{name}")
            if candidates:
                other = candidates[0]
                problems.append(
                    Diagnostic(
                        location,
                        ERROR,
                        f"{section}: deployment '{name}' ({other.file}) has endpoint_name "
                        f"'{other.endpoint_name}', not '{endpoint.name}'",
                    )
                )
            else:
                known = ", ".join(sorted({deployment.name for deployment in deployments})) or "none"
                problems.append(
                    Diagnostic(location, ERROR, f"{section}: no deployment named '{name}' (deployments found: {known})")
                )
    return problems



def check_model_files(deployment: Deployment) -> List[Diagnostic]:
    """An MLflow model folder needs an MLmodel with a loadable flavor, a Triton repository numbered version folders,
    also when a scoring script serves them (without one, the loader has already checked)."""
    model = deployment.model
    if model is None or model.path is None or not model.path.exists() or is_no_code(deployment):
        return []
    if deployment.environment is not None and deployment.environment.generated_for is not None:
        return []
    if model.type == MLFLOW_MODEL:
        problems = read_mlflow_model(model.path)[1] if model.path.is_dir() else []
    elif model.type == TRITON_MODEL:
        problems = triton_repository_problems(model.path)
    else:
        return []
    return [Diagnostic(deployment.location("model.path"), ERROR, problem) for problem in problems]
