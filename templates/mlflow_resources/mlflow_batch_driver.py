"""localep's batch scoring script for MLflow models deployed without code: what the cloud's built-in driver does.

Each file of a mini-batch is one predict() call: CSV and Parquet files as DataFrames (cast to the signature's
column types while reading), images as arrays (one image per call; the signature's tensor shape and type, else
uint8). Every prediction becomes a comma-separated line `row,prediction,file_name` (`row` is the row's index in
its file, empty for images). A file of another type, or one that fails, is logged the way the cloud logs it and
left out of run()'s answer, so it counts as a failed item; the others succeed.
"""

import csv
import glob
import io
import json
import logging
import os

import numpy as np
from mlflow.models import Model
from mlflow.pyfunc import load_model

TABULAR = (".csv", ".parquet", ".pqt")
IMAGES = (".png", ".jpg", ".jpeg", ".tiff", ".bmp", ".gif")
logger = logging.getLogger("azureml")
model = None
signature = None


def model_folder():
    """$AZUREML_MODEL_DIR/$MLFLOW_MODEL_FOLDER when set; else the folder holding MLmodel, which the cloud puts one
    level below AZUREML_MODEL_DIR."""
    root = os.environ["AZUREML_MODEL_DIR"]
    if os.environ.get("MLFLOW_MODEL_FOLDER"):
        return os.path.join(root, os.environ["MLFLOW_MODEL_FOLDER"])
    if os.path.isfile(os.path.join(root, "MLmodel")):
        return root
    found = sorted(glob.glob(os.path.join(root, "*", "MLmodel")))
    if not found:
        raise RuntimeError(f"no MLflow model (an MLmodel file) in {root} or the folders directly below it")
    return os.path.dirname(found[0])


def init():
    global model, signature
    folder = model_folder()
    signature = Model.load(folder).signature
    model = load_model(folder)


def column_types():
    """The signature's pandas dtype per column name; empty without a column signature."""
    inputs = signature.inputs if signature is not None else None
    if inputs is None or inputs.is_tensor_spec() or not inputs.has_input_names():
        return {}
    return dict(zip(inputs.input_names(), inputs.pandas_types()))


def read_table(path):
    import pandas as pd

    frame = pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)
    types = {name: dtype for name, dtype in column_types().items() if name in frame.columns}
    return frame.astype(types) if types else frame


def read_image(path):
    from PIL import Image

    with Image.open(path) as image:
        array = np.asarray(image)
    inputs = signature.inputs if signature is not None else None
    if inputs is not None and inputs.is_tensor_spec():
        spec = inputs.inputs[0]
        shape = [1 if dimension == -1 else dimension for dimension in spec.shape] if spec.shape else array.shape
        return array.astype(spec.type).reshape(shape)
    return array.astype(np.uint8)


def prediction_cells(predictions):
    """One cell per prediction: a scalar as it is, a row of several values as a JSON list."""
    try:
        import pandas as pd

        if isinstance(predictions, pd.DataFrame):
            predictions = predictions.iloc[:, 0] if predictions.shape[1] == 1 else predictions.to_numpy()
        if isinstance(predictions, pd.Series):
            predictions = predictions.to_numpy()
    except ImportError:
        pass
    values = np.asarray(predictions) if not isinstance(predictions, list) else predictions
    if isinstance(values, np.ndarray) and values.ndim == 0:
        values = values.reshape(1)
    return [json.dumps(np.asarray(value).tolist()) if np.ndim(value) else np.asarray(value).item() for value in values]


def csv_lines(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().rstrip("\n")


def score_file(path):
    """The output lines for one file (rows joined by newlines)."""
    name = os.path.basename(path)
    extension = os.path.splitext(path)[1].lower()
    if extension in TABULAR:
        cells = prediction_cells(model.predict(read_table(path)))
        return csv_lines([index, cell, name] for index, cell in enumerate(cells))
    if extension in IMAGES:
        cells = prediction_cells(model.predict(read_image(path)))
        return csv_lines([["", cells[0] if len(cells) == 1 else json.dumps(cells), name]])
    raise ValueError(f"File type '{extension.lstrip('.')}' is not supported")


def run(mini_batch):
    """One entry per file that was scored (its lines); files that fail are logged and left out."""
    results = []
    for path in mini_batch:
        try:
            results.append(score_file(path))
        except Exception as error:
            logger.error("Error processing input file: '%s'. %s", path, error if isinstance(error, ValueError)
                         and str(error).startswith("File type") else f"Exception: {error}")
    return results
