"""No-code MLflow models: the cloud serves an `mlflow_model` without code and environment from the model folder's own
conda.yaml (or python_env.yaml / requirements.txt) with a generated scoring script; here it becomes an ordinary
Environment and CodeConfiguration, so images, runtime, reload and debug need no special case."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from localep.errors import Location
from localep.fileio import atomic_write
from localep.paths import home
from localep.yamlspec.diagnostics import ERROR, Diagnostic
from localep.yamlspec.model import MLFLOW_MODEL, CodeConfiguration, Deployment, Environment, Model

# No registry serves the cloud's curated mlflow image locally; the examples' base (conda in the cloud, the offline
# Debian python here) takes the model's environment the same way any conda file is built.
MLFLOW_BASE_IMAGE_VARIABLE = "LOCALEP_MLFLOW_IMAGE"
DEFAULT_MLFLOW_BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"

MLMODEL = "MLmodel"
PYFUNC_FLAVOR = "python_function"
MLFLOW_SCORING_SCRIPT = "mlflow_score_script.py"
MLFLOW_BATCH_DRIVER = "mlflow_batch_driver.py"
MLFLOW_RESOURCES = Path(__file__).resolve().parents[1] / "_templates" / "mlflow_resources"
MLFLOW_MODEL_FOLDER = "MLFLOW_MODEL_FOLDER"
MONITORING_PACKAGE = "azureml-ai-monitoring"


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
    model: Model, where: Location, base_image: str, script: str = MLFLOW_SCORING_SCRIPT
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
        image=base_image,
        conda_file=mlflow_conda_file(found),
        name=f"{model.mount_name}-mlflow-env",
        source=where,
        generated_for=MLFLOW_MODEL,
    )
    code = CodeConfiguration(code=MLFLOW_RESOURCES, scoring_script=script, source=where)
    return MlflowServing(environment, code, {MLFLOW_MODEL_FOLDER: model.path.name}), []


def mlflow_deployment(deployment: Deployment, model: Model, base_image: str) -> Tuple[Deployment, List[Diagnostic]]:
    """The deployment served by the generated scoring script in the model's own environment."""
    serving, problems = mlflow_serving(model, deployment.location("model.path"), base_image)
    if serving is None:
        return deployment, problems
    variables = {**serving.variables, **deployment.environment_variables}
    environment = serving.environment
    collector = deployment.data_collector
    if collector is not None and collector.enabled(payload=False) and environment.conda_file is not None:
        environment = replace(environment, conda_file=with_pip_package(environment.conda_file, MONITORING_PACKAGE))
    completed = replace(deployment, environment=environment, code_configuration=serving.code_configuration,
                        environment_variables=variables)
    return completed, []


def with_pip_package(conda_file: Path, package: str) -> Path:
    """The conda file with `package` in its pip list (a generated copy), or the file itself when it has it: the
    cloud's MLflow scoring collects model inputs and outputs with azureml-ai-monitoring, whatever the model needs."""
    data = yaml.safe_load(conda_file.read_text(encoding="utf-8")) or {}
    dependencies = list(data.get("dependencies") or [])
    pip = next((entry for entry in dependencies if isinstance(entry, dict) and "pip" in entry), None)
    if pip is None:
        pip = {"pip": []}
        dependencies.append(pip)
    if any(re.match(rf"^{re.escape(package)}\b", str(line)) for line in pip["pip"] or []):
        return conda_file
    pip["pip"] = [*(pip["pip"] or []), package]
    data["dependencies"] = dependencies
    return _generated_conda_file(yaml.safe_dump(data, sort_keys=False))


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
