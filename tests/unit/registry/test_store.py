"""Registry versioning, @latest, archiving, and `azureml:` references resolved by the spec loader."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

from localep import registry
from localep.az.cli import main
from localep.errors import SpecError
from localep.registry import MODELS, Asset, parse_reference
from localep.yamlspec import check_runnable_locally, load_deployment


def az(*argv: str):
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "work" / "regression"
    folder.mkdir(parents=True)
    (folder / "weights.json").write_text('{"w": 1}')
    return folder


@pytest.mark.parametrize("text, expected", [
    ("azureml:m:1", ("m", "1")),
    ("azureml:my-model@latest", ("my-model", None)),
    ("azureml:my-model", ("my-model", None)),
    (" azureml:m:12 ", ("m", "12")),
    ("azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/models/m"
     "/versions/3", ("m", "3")),
    ("azureml://registries/azureml/environments/sklearn-1.5/versions/7", ("sklearn-1.5", "7")),
    ("azureml://registries/azureml/models/m/labels/latest", ("m", None)),
])
def test_reference_forms(text, expected):
    reference = parse_reference(text)
    assert reference is not None and (reference.name, reference.version) == expected


@pytest.mark.parametrize("text", ["model/path", "azureml:", "azureml:m@champion", "azureml:a:b:c",
                                  "azureml://registries/r/models/m/labels/prod"])
def test_not_references(text):
    assert parse_reference(text) is None


def test_versions_auto_increment_and_latest(model_dir):
    first = registry.register(Asset(MODELS, "m", "", "custom_model"), files=model_dir)
    (model_dir / "weights.json").write_text('{"w": 2}')
    second = registry.register(Asset(MODELS, "m", "", "custom_model"), files=model_dir)
    assert (first.version, second.version) == ("1", "2")
    assert registry.get_asset(MODELS, "m").version == "2"
    # each version is a copy taken at registration, kept under the folder's own name
    assert Path(first.path).name == "regression"
    assert json.loads((Path(first.path) / "weights.json").read_text()) == {"w": 1}
    assert json.loads((Path(second.path) / "weights.json").read_text()) == {"w": 2}


def test_a_version_cannot_be_registered_twice(model_dir):
    registry.register(Asset(MODELS, "m", "5", "custom_model"), files=model_dir)
    with pytest.raises(registry.AssetExists, match="m:5 is already registered"):
        registry.register(Asset(MODELS, "m", "5", "custom_model"), files=model_dir)
    assert registry.register(Asset(MODELS, "m", "", "custom_model"), files=model_dir).version == "6"


def test_archived_versions_are_skipped_by_latest(model_dir):
    for _ in range(2):
        registry.register(Asset(MODELS, "m", "", "custom_model"), files=model_dir)
    registry.set_archived(MODELS, "m", "2", True)
    assert registry.get_asset(MODELS, "m").version == "1"
    assert [a.version for a in registry.latest_assets(MODELS)] == ["1"]
    assert [a.version for a in registry.latest_assets(MODELS, archived_only=True)] == ["2"]
    registry.set_archived(MODELS, "m", None, True)
    with pytest.raises(registry.AssetNotFound, match="every version is archived"):
        registry.get_asset(MODELS, "m")


def test_unknown_version_names_the_known_ones(model_dir):
    registry.register(Asset(MODELS, "m", "1", "custom_model"), files=model_dir)
    with pytest.raises(registry.AssetNotFound, match=r"versions of 'm': 1"):
        registry.get_asset(MODELS, "m", "9")


def test_invalid_names_are_refused(model_dir):
    with pytest.raises(Exception, match="not valid"):
        registry.register(Asset(MODELS, "../escape", "1", "custom_model"), files=model_dir)


DEPLOYMENT = """
name: blue
endpoint_name: ep
model: {model}
code_configuration:
  code: code
  scoring_script: score.py
environment: {environment}
instance_type: Standard_DS3_v2
"""


def write_deployment(folder: Path, model: str, environment: str) -> Path:
    (folder / "code").mkdir(exist_ok=True)
    (folder / "code" / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    path = folder / "deployment.yml"
    path.write_text(textwrap.dedent(DEPLOYMENT).format(model=model, environment=environment))
    return path


@pytest.mark.parametrize("reference", ["azureml:regression-model:1", "azureml:regression-model@latest",
                                       "azureml:regression-model"])
def test_deployment_references_resolve_to_registered_files(tmp_path, model_dir, reference):
    conda = tmp_path / "work" / "conda.yaml"
    conda.write_text("dependencies:\n  - pip:\n    - azureml-inference-server-http\n")
    assert az("ml", "model", "create", "--name", "regression-model", "--path", str(model_dir))[0] == 0
    assert az("ml", "environment", "create", "--name", "env", "--version", "3", "--image", "python:3.11",
              "--conda-file", str(conda))[0] == 0
    deployment = load_deployment(write_deployment(tmp_path, reference, "azureml:env:3"))
    check_runnable_locally(deployment)
    model, environment = deployment.model, deployment.environment
    assert (model.name, model.version, model.reference, model.registered_as) == (
        "regression-model", "1", None, reference)
    assert model.path.name == "regression" and (model.path / "weights.json").is_file()
    assert model.path != model_dir  # the registered copy
    assert (environment.image, environment.version, environment.registered_as) == ("python:3.11", "3", "azureml:env:3")
    assert environment.conda_file.read_text() == conda.read_text()


def test_latest_follows_new_versions(tmp_path, model_dir):
    az("ml", "model", "create", "--name", "m", "--path", str(model_dir))
    az("ml", "model", "create", "--name", "m", "--path", str(model_dir))
    assert load_deployment(write_deployment(tmp_path, "azureml:m@latest", "azureml:e:1")).model.version == "2"
    az("ml", "model", "archive", "--name", "m", "--version", "2")
    assert load_deployment(write_deployment(tmp_path, "azureml:m@latest", "azureml:e:1")).model.version == "1"


def test_unregistered_reference_names_the_command_that_fixes_it(tmp_path):
    deployment = load_deployment(write_deployment(tmp_path, "azureml:missing-model:4", "azureml:missing-env:2"))
    with pytest.raises(SpecError) as caught:
        check_runnable_locally(deployment)
    assert "localep az ml model create --name missing-model --version 4 --path PATH" in caught.value.message
    assert "localep az ml environment create --name missing-env --version 2" in caught.value.detail


def test_model_create_from_yaml_with_set(tmp_path, model_dir):
    spec = tmp_path / "work" / "model.yml"
    spec.write_text("$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\n"
                    "name: from-yaml\nversion: 7\npath: regression\ntype: mlflow_model\ndescription: d\n")
    code, out = az("ml", "model", "create", "-f", str(spec), "--set", "version=8", "tags.team=ml")
    assert code == 0, out
    document = json.loads(out)
    assert (document["name"], document["version"], document["type"], document["tags"]) == (
        "from-yaml", "8", "mlflow_model", {"team": "ml"})
    assert Path(document["path"]).name == "regression"
    code, out = az("ml", "model", "show", "--name", "from-yaml", "--label", "latest", "--query", "version",
                   "-o", "tsv")
    assert (code, out) == (0, "8\n")


def test_model_yaml_unknown_field_names_the_line(tmp_path, model_dir, capsys):
    spec = tmp_path / "work" / "model.yml"
    spec.write_text("name: x\npath: regression\npaht: typo\n")
    code, _ = az("ml", "model", "create", "-f", str(spec))
    assert code == 1
    assert "model.yml:3: unknown field 'paht'" in capsys.readouterr().err


def test_model_list_and_versions(model_dir):
    for name in ("a", "b", "a"):
        az("ml", "model", "create", "--name", name, "--path", str(model_dir))
    code, out = az("ml", "model", "list", "--query", "[].[name, version]", "-o", "tsv")
    assert (code, out) == (0, "a\t2\nb\t1\n")
    code, out = az("ml", "model", "list", "--name", "a", "--query", "[].version", "-o", "tsv")
    assert (code, out) == (0, "2\n1\n")


def test_data_create_checks_the_type(tmp_path, capsys):
    file = tmp_path / "one.csv"
    file.write_text("a,b\n")
    assert az("ml", "data", "create", "--name", "d", "--path", str(file), "--type", "uri_folder")[0] == 1
    assert "uri_folder asset must be a folder" in capsys.readouterr().err
    code, out = az("ml", "data", "create", "--name", "d", "--path", str(file), "--type", "uri_file", "-o", "json")
    assert code == 0 and json.loads(out)["type"] == "uri_file"
    code, out = az("ml", "data", "create", "--name", "remote", "--path", "https://example.com/x.csv",
                   "--type", "uri_file")
    assert code == 0 and json.loads(out)["path"] == "https://example.com/x.csv"


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    code, _ = az("ml", "model", "create", "--name", "m", "--path", str(tmp_path / "nope"))
    assert code == 1
    assert "no such file or folder" in capsys.readouterr().err


BATCH_DEPLOYMENT = """
name: linear
endpoint_name: batch-ep
type: model
model: azureml:linear-model@latest
code_configuration:
  code: code
  scoring_script: score.py
environment: azureml:env:3
compute: azureml:cluster
"""


def test_batch_deployment_references_resolve_too(tmp_path, model_dir):
    from localep.yamlspec.batch_loader import load_batch_deployment

    conda = tmp_path / "work" / "conda.yaml"
    conda.write_text("dependencies:\n  - pip:\n    - azureml-inference-server-http\n")
    az("ml", "model", "create", "--name", "linear-model", "--path", str(model_dir))
    az("ml", "environment", "create", "--name", "env", "--version", "3", "--image", "python:3.11",
       "--conda-file", str(conda))
    write_deployment(tmp_path, "x", "y")  # the code folder
    path = tmp_path / "batch.yml"
    path.write_text(textwrap.dedent(BATCH_DEPLOYMENT))
    deployment = load_batch_deployment(path)
    assert (deployment.model.name, deployment.model.version, deployment.model.path.name) == (
        "linear-model", "1", "regression")
    assert deployment.environment.image == "python:3.11"
