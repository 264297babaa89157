"""Scoring script written for Azure ML: it runs unchanged in the cloud and under localep."""

import json
import logging
import os

import numpy

model = None


def init():
    """Load the linear model once per worker from the folder Azure ML mounts at AZUREML_MODEL_DIR."""
    global model
    model_path = os.path.join(os.environ["AZUREML_MODEL_DIR"], "regression", "weights.json")
    with open(model_path) as handle:
        weights = json.load(handle)
    model = (numpy.array(weights["coefficients"]), float(weights["intercept"]))
    logging.info("model loaded from %s", model_path)


def run(raw_data):
    """Predict one value per row of `data` (10 features each)."""
    coefficients, intercept = model
    rows = numpy.array(json.loads(raw_data)["data"], dtype=float)
    return (rows @ coefficients + intercept).tolist()
