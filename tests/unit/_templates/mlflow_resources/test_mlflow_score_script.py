"""The generated MLflow scoring script on the host: samples from examples and signatures, how unchecked input is
read, and how predictions become JSON (the e2e tests run it on the real inference server)."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest

from localep.yamlspec.nocode_mlflow import MLFLOW_RESOURCES, MLFLOW_SCORING_SCRIPT

pd = pytest.importorskip("pandas", reason="the MLflow tests need the test extra (pandas, mlflow-skinny, sklearn)")
np = pytest.importorskip("numpy")
pytest.importorskip("inference_schema")
mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
from inference_schema.schema_util import get_input_schema  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 4.0, -1.0]})
REGRESSION = LinearRegression().fit(FRAME, FRAME.a * 2 + FRAME.b)


def load_script(monkeypatch, model_dir: Path, folder: str):
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("MLFLOW_MODEL_FOLDER", folder)
    # inference-schema registers run() by module name once per process: each load needs its own name.
    name = f"score_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, MLFLOW_RESOURCES / MLFLOW_SCORING_SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.init()
    return script


def test_an_input_example_makes_the_swagger_sample(monkeypatch, tmp_path):
    mlflow_sklearn.save_model(REGRESSION, str(tmp_path / "example"), serialization_format="pickle",
                              signature=infer_signature(FRAME, REGRESSION.predict(FRAME)), input_example=FRAME.head(2))
    script = load_script(monkeypatch, tmp_path, "example")
    example = get_input_schema(script.run)["example"]["input_data"]
    assert example == {"columns": ["a", "b"], "index": [0, 1], "data": [[1.0, 0.5], [2.0, 4.0]]}
    split = {"columns": ["a", "b"], "index": [0], "data": [[1, 2]]}
    assert script.run(input_data=split) == pytest.approx(REGRESSION.predict(pd.DataFrame({"a": [1.0], "b": [2.0]})))


def test_without_a_signature_lists_split_frames_and_dicts_are_read_like_the_cloud(monkeypatch, tmp_path):
    mlflow_sklearn.save_model(REGRESSION, str(tmp_path / "plain"), serialization_format="pickle")
    script = load_script(monkeypatch, tmp_path, "plain")
    assert isinstance(script.INPUT_TYPE, script.PassThrough)
    assert script.run(input_data=[[1.0, 2.0]]) == pytest.approx(REGRESSION.predict(np.array([[1.0, 2.0]])))
    frame = script.model_input({"columns": ["a", "b"], "index": [0], "data": [[1.0, 2.0]]})
    assert list(frame.columns) == ["a", "b"]
    named = script.model_input({"x": [1, 2], "y": [[3]]})
    assert set(named) == {"x", "y"} and isinstance(named["x"], np.ndarray)


def test_predictions_become_records_or_lists(monkeypatch, tmp_path):
    mlflow_sklearn.save_model(REGRESSION, str(tmp_path / "plain"), serialization_format="pickle")
    script = load_script(monkeypatch, tmp_path, "plain")
    assert script.jsonable(np.array([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert script.jsonable(pd.DataFrame({"p": [1.5, 2.5], "q": ["x", "y"]})) == [{"p": 1.5, "q": "x"}, {"p": 2.5, "q": "y"}]
    assert script.jsonable(pd.Series([1.0, 2.0], name="s")) == [{"s": 1.0}, {"s": 2.0}]
    assert script.jsonable({"k": np.array([1])}) == {"k": [1]}


def test_the_model_folder_variable_is_required(monkeypatch, tmp_path):
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    monkeypatch.delenv("MLFLOW_MODEL_FOLDER", raising=False)
    spec = importlib.util.spec_from_file_location("score_unset", MLFLOW_RESOURCES / MLFLOW_SCORING_SCRIPT)
    assert spec is not None and spec.loader is not None
    with pytest.raises(RuntimeError, match="MLFLOW_MODEL_FOLDER is not set"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_text_models_take_strings_and_lists_of_them_as_they_came(monkeypatch, tmp_path):
    mlflow_sklearn.save_model(REGRESSION, str(tmp_path / "text"), serialization_format="pickle")
    mlmodel = tmp_path / "text" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("flavors:\n", "flavors:\n  transformers:\n    task: text-generation\n", 1))
    script = load_script(monkeypatch, tmp_path, "text")
    assert script.TEXT_MODEL
    assert script.model_input("hello there") == "hello there"
    assert script.model_input(["a", "b"]) == ["a", "b"]
    assert script.model_input([{"role": "user", "content": "hi"}]) == [{"role": "user", "content": "hi"}]
    assert isinstance(script.model_input([[1, 2]]), np.ndarray)
