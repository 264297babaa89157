"""The built-in batch driver for no-code MLflow models, run on the host against real mlflow-saved models."""

from __future__ import annotations

import csv
import importlib.util
import logging
from pathlib import Path

import pytest

from localep.yamlspec.nocode_mlflow import MLFLOW_BATCH_DRIVER, MLFLOW_RESOURCES

pd = pytest.importorskip("pandas", reason="the MLflow tests need the test extra (pandas, mlflow-skinny, sklearn)")
np = pytest.importorskip("numpy")
mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
from mlflow.models import infer_signature  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 4.0, -1.0]})


def load_driver(monkeypatch, model_dir: Path, folder: str = ""):
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_dir))
    if folder:
        monkeypatch.setenv("MLFLOW_MODEL_FOLDER", folder)
    else:
        monkeypatch.delenv("MLFLOW_MODEL_FOLDER", raising=False)
    spec = importlib.util.spec_from_file_location("mlflow_batch_driver", MLFLOW_RESOURCES / MLFLOW_BATCH_DRIVER)
    assert spec is not None and spec.loader is not None
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)
    driver.init()
    return driver


@pytest.fixture(scope="module")
def column_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    regression = LinearRegression().fit(FRAME, FRAME.a * 2 + FRAME.b)
    mlflow_sklearn.save_model(regression, str(root / "regression"), serialization_format="pickle",
                              signature=infer_signature(FRAME, regression.predict(FRAME)))
    return root, regression


def rows(results):
    return [row for text in results for row in csv.reader(text.splitlines())]


def test_csv_and_parquet_files_are_predicted_per_file_with_the_clouds_columns(monkeypatch, tmp_path, column_model):
    root, regression = column_model
    driver = load_driver(monkeypatch, root)  # the cloud's layout: the model folder one level below
    FRAME.to_csv(tmp_path / "first.csv", index=False)
    FRAME.iloc[:2].to_parquet(tmp_path / "second.parquet")
    results = driver.run([str(tmp_path / "first.csv"), str(tmp_path / "second.parquet")])
    assert len(results) == 2, "one entry per scored file: the runner counts both as succeeded"
    expected = regression.predict(FRAME)
    parsed = rows(results)
    assert [(row[0], row[2]) for row in parsed] == [("0", "first.csv"), ("1", "first.csv"), ("2", "first.csv"),
                                                    ("0", "second.parquet"), ("1", "second.parquet")]
    assert [float(row[1]) for row in parsed] == pytest.approx([*expected, *expected[:2]])


def test_signature_types_are_enforced_while_reading(monkeypatch, tmp_path, column_model, caplog):
    root, regression = column_model
    driver = load_driver(monkeypatch, root, folder="regression")
    (tmp_path / "integers.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "broken.csv").write_text("a,b\n1,2\nnot-a-number,4\n")
    with caplog.at_level(logging.ERROR, logger="azureml"):
        results = driver.run([str(tmp_path / "integers.csv"), str(tmp_path / "broken.csv")])
    assert len(results) == 1, "the broken file fails alone"
    assert [float(row[1]) for row in rows(results)] == pytest.approx(
        regression.predict(pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]})))
    assert f"Error processing input file: '{tmp_path / 'broken.csv'}'. Exception: could not convert string to float" in caplog.text


def test_other_file_types_fail_the_item_with_the_clouds_message(monkeypatch, tmp_path, column_model, caplog):
    root, _ = column_model
    driver = load_driver(monkeypatch, root)
    (tmp_path / "data.avro").write_bytes(b"Obj\x01")
    FRAME.to_csv(tmp_path / "ok.csv", index=False)
    with caplog.at_level(logging.ERROR, logger="azureml"):
        results = driver.run([str(tmp_path / "data.avro"), str(tmp_path / "ok.csv")])
    assert len(results) == 1
    assert f"Error processing input file: '{tmp_path / 'data.avro'}'. File type 'avro' is not supported" in caplog.text


def test_images_are_arrays_one_prediction_per_file(monkeypatch, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    pixels = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    root = tmp_path / "models"
    sample = pixels.reshape(1, 2, 2, 3).astype(np.float32)
    from mlflow.pyfunc import PythonModel, save_model

    class ImageModel(PythonModel):
        def predict(self, context, model_input, params=None):
            return np.asarray(model_input, dtype=float).reshape(len(model_input), -1).sum(axis=1)

    save_model(str(root / "images"), python_model=ImageModel(), signature=infer_signature(sample, np.zeros(1)))
    image_module.fromarray(pixels).save(tmp_path / "picture.png")
    driver = load_driver(monkeypatch, root)
    results = driver.run([str(tmp_path / "picture.png")])
    assert rows(results) == [["", str(float(pixels.sum())), "picture.png"]]
