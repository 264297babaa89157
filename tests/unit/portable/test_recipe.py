"""What a portable image holds: the cloud's paths, the server as command, a hash of the content only (no Docker)."""

from __future__ import annotations

import dataclasses
import io
import tarfile
from pathlib import Path

import pytest

from localep.errors import BuildError
from localep.images.kinds.base import INFERENCE_SERVER, ServerSpec
from localep.portable.build import registry_of, split_name, write_context
from localep.portable.recipe import content_hash, dockerfile, file_entries, image_labels, plan_package
from localep.yamlspec.model import CodeConfiguration, Deployment, Model


def deployment(tmp_path: Path, **changes) -> Deployment:
    (tmp_path / "src" / "online").mkdir(parents=True)
    (tmp_path / "src" / "online" / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "score.pyc").write_bytes(b"stale")
    (tmp_path / "model-1" / "model").mkdir(parents=True)
    (tmp_path / "model-1" / "model" / "weights.json").write_text("{}")
    (tmp_path / "blue.yml").write_text("name: blue\n")
    fields = dict(
        name="blue", endpoint_name="ep", file=tmp_path / "blue.yml", kind="managed",
        model=Model(name="reg", version="3", path=tmp_path / "model-1" / "model"),
        code_configuration=CodeConfiguration(code=tmp_path / "src", scoring_script="online/score.py"),
        environment_variables={"A": "1", "PRICE": 'say "$5" \\ now'},
    )
    fields.update(changes)
    return Deployment(**fields)


def entries_of(recipe):
    return [entry for copy in recipe.copies for entry in file_entries(copy)]


def test_code_and_model_go_to_the_clouds_paths_model_first(tmp_path):
    recipe = plan_package(deployment(tmp_path), "localep/env:abc", INFERENCE_SERVER)
    assert [(c.layer, str(c.target)) for c in recipe.copies] == [
        ("model", "/var/azureml-app/azureml-models/reg/3/model"), ("code", "/var/azureml-app/src")]
    targets = [str(e.target) for e in entries_of(recipe)]
    assert targets == ["/var/azureml-app/azureml-models/reg/3/model/weights.json", "/var/azureml-app/src/online/score.py"]
    assert recipe.environment["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/reg/3"
    assert recipe.environment["AML_APP_ROOT"] == "/var/azureml-app/src/online"
    assert recipe.command == ("/opt/localep/python", "-m", "azureml_inference_server_http", "--port", "5001",
                              "--entry_script", "/var/azureml-app/src/online/score.py")


def test_byoc_keeps_its_own_command_and_port(tmp_path):
    server = ServerSpec(port=8000, liveness_path="/v2/health/live", command=("/bin/sh", "-c", "exec x"))
    recipe = plan_package(deployment(tmp_path, code_configuration=None), "triton:1", server)
    assert recipe.command == ("/bin/sh", "-c", "exec x")
    text = dockerfile(recipe, "sha256:1", image_labels(recipe, "h"))
    assert "EXPOSE 8000" in text and 'CMD ["/bin/sh", "-c", "exec x"]' in text
    assert "COPY code/" not in text and "COPY model/ /" in text


def test_the_hash_follows_the_content_not_the_machine(tmp_path):
    first = plan_package(deployment(tmp_path / "a"), "env", INFERENCE_SERVER)
    moved = plan_package(deployment(tmp_path / "b"), "env", INFERENCE_SERVER)
    assert content_hash(first, "sha256:1", entries_of(first)) == content_hash(moved, "sha256:1", entries_of(moved))
    assert content_hash(first, "sha256:1", entries_of(first)) != content_hash(first, "sha256:2", entries_of(first))
    script = tmp_path / "b" / "src" / "online" / "score.py"
    script.write_text(script.read_text() + "# edit\n")
    assert content_hash(first, "sha256:1", entries_of(first)) != content_hash(moved, "sha256:1", entries_of(moved))


def test_labels_name_the_source_file_without_its_folder(tmp_path):
    recipe = plan_package(deployment(tmp_path), "env", INFERENCE_SERVER)
    labels = image_labels(recipe, "h")
    assert labels["localep.package.source"] == "blue.yml" and labels["localep.package.content-hash"] == "h"
    assert labels["localep.warnings"] == "", "the environment's warnings may name this machine's files"
    assert not any(str(tmp_path) in value for value in labels.values())


def test_variables_are_baked_literally(tmp_path):
    recipe = plan_package(deployment(tmp_path), "env", INFERENCE_SERVER)
    text = dockerfile(recipe, "sha256:1", {})
    assert 'PRICE="say \\"\\$5\\" \\\\ now"' in text
    broken = dataclasses.replace(recipe, environment={"X": "two\nlines"})
    with pytest.raises(BuildError, match="X: a value baked into an image cannot hold a line break"):
        dockerfile(broken, "sha256:1", {})


def test_the_context_is_normalised_and_skips_caches(tmp_path):
    recipe = plan_package(deployment(tmp_path), "env", INFERENCE_SERVER)
    buffer = io.BytesIO()
    write_context(buffer, "FROM x\n", [(c, e) for c in recipe.copies for e in file_entries(c)])
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert sorted(members) == ["Dockerfile", "code/var/azureml-app/src/online/score.py",
                               "model/var/azureml-app/azureml-models/reg/3/model/weights.json"]
    assert {(m.uid, m.mtime, m.mode) for m in members.values()} == {(0, 0, 0o644)}


@pytest.mark.parametrize(("name", "registry", "split"), [
    ("scoring/blue:1", None, ("scoring/blue", "1")),
    ("blue", None, ("blue", "latest")),
    ("localhost:5000/blue", "localhost:5000", ("localhost:5000/blue", "latest")),
    ("myacr.azurecr.io/a/b:2", "myacr.azurecr.io", ("myacr.azurecr.io/a/b", "2")),
])
def test_names_and_registries_read_as_docker_reads_them(name, registry, split):
    assert registry_of(name) == registry
    assert split_name(name) == split


def test_a_single_file_model_lands_as_that_file(tmp_path):
    base = deployment(tmp_path)
    single = dataclasses.replace(base.model, path=tmp_path / "model-1" / "model" / "weights.json")
    recipe = plan_package(dataclasses.replace(base, model=single), "env", INFERENCE_SERVER)
    assert [str(e.target) for e in file_entries(recipe.copies[0])] == [
        "/var/azureml-app/azureml-models/reg/3/weights.json"]
    assert recipe.environment["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/reg/3"
