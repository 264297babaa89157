"""localep's scoring script for MLflow models deployed without code: what the cloud's MLflow image serves.

The model folder is $AZUREML_MODEL_DIR/$MLFLOW_MODEL_FOLDER. Requests are {"input_data": ..., "params": {...}}:
`input_data` in pandas split orientation for column signatures, a (nested) list for an unnamed tensor, a dict
of lists for named tensors. The inference server checks the request (415 without a JSON content type, 400 for
a body that is not a JSON object or lacks input_data) because run() carries inference-schema decorators, which
also give /swagger.json the signature's columns. The answer is the prediction as bare JSON: records for
DataFrames, lists for arrays.
"""

import inspect
import io
import json
import logging
import os

import numpy as np
from inference_schema.parameter_types.abstract_parameter_type import AbstractParameterType
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema
from mlflow.models import Model
from mlflow.pyfunc import load_model

try:  # tensor-only models may come without pandas
    import pandas as pd
    from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
except ImportError:
    pd = None

logger = logging.getLogger("localep.mlflow")

if not os.environ.get("MLFLOW_MODEL_FOLDER"):
    raise RuntimeError("MLFLOW_MODEL_FOLDER is not set: it names the MLflow model folder inside AZUREML_MODEL_DIR")
MODEL_PATH = os.path.join(os.environ["AZUREML_MODEL_DIR"], os.environ["MLFLOW_MODEL_FOLDER"])
SAMPLE_VALUES = {"boolean": False, "string": "sample string", "integer": 42, "long": 42, "float": 0.15,
                 "double": 0.15, "binary": b"", "datetime": "2020-01-01T00:00:00"}


class PassThrough(AbstractParameterType):
    """No signature and no example: the body's value as it came (parsed later like the cloud does)."""

    def __init__(self):
        super().__init__(None)

    def deserialize_input(self, input_data):
        return input_data

    def input_to_swagger(self):
        return {"type": "object", "example": {}}


def batched_shape(shape):
    """-1 in front means any number of rows; one row makes a sample (and a swagger example)."""
    shape = list(shape or ())
    if shape and shape[0] == -1:
        shape[0] = 1
    return tuple(max(dimension, 1) for dimension in shape)


def column_sample(schema):
    """One row with each signature column's pandas dtype: PandasParameterType casts requests to these types."""
    names = schema.input_names()
    types = schema.pandas_types()
    row = {name: [SAMPLE_VALUES.get(getattr(spec.type, "name", ""), 0)] for name, spec in zip(names, schema.inputs)}
    frame = pd.DataFrame(row, columns=names)
    return frame.astype(dict(zip(names, types)), errors="ignore")


def tensor_sample(schema):
    if not schema.has_input_names():
        spec = schema.inputs[0]
        return np.zeros(batched_shape(spec.shape), dtype=spec.type)
    return {spec.name: np.zeros(batched_shape(spec.shape), dtype=spec.type) for spec in schema.inputs}


def schema_sample(schema):
    if schema is None:
        return None
    if schema.is_tensor_spec():
        return tensor_sample(schema)
    if pd is None:
        return None
    return column_sample(schema)


def example_sample(meta):
    """The model's saved input example, when it has one: the cloud prefers it to a sample made from the signature."""
    info = getattr(meta, "saved_input_example_info", None)
    if not info:
        return None
    try:
        with open(os.path.join(MODEL_PATH, info["artifact_path"])) as file:
            loaded = json.load(file)
        if info.get("type") == "dataframe" and pd is not None:
            return pd.read_json(io.StringIO(json.dumps(loaded)), orient="split" if "columns" in loaded else "values",
                                dtype=False)
        if info.get("type") == "ndarray":
            inputs = loaded["inputs"]
            if isinstance(inputs, dict):
                return {name: np.asarray(value) for name, value in inputs.items()}
            return np.asarray(inputs)
    except Exception as error:  # a broken example must not keep the model from serving
        logger.warning("cannot use the model's input example (%s); using its signature instead", error)
    return None


def params_sample(signature):
    params = getattr(signature, "params", None) if signature is not None else None
    if not params:
        return None
    return {param.name: param.default if param.default is not None else SAMPLE_VALUES.get(param.dtype.name)
            for param in params.params}


def parameter_type(sample, orient):
    """The inference-schema type that parses (and documents) a value shaped like `sample`."""
    if sample is None:
        return PassThrough()
    if isinstance(sample, np.ndarray):
        return NumpyParameterType(sample, enforce_shape=False)
    if pd is not None and isinstance(sample, pd.DataFrame):
        return PandasParameterType(sample, enforce_shape=False, orient=orient)
    if isinstance(sample, dict):
        return StandardPythonParameterType(
            {name: NumpyParameterType(np.asarray(value), enforce_shape=False) for name, value in sample.items()}
        )
    return PassThrough()


META = Model.load(MODEL_PATH)
SIGNATURE = META.signature
# Language-model flavors take text: strings, lists of strings and lists of dicts go to predict() as they came.
TEXT_MODEL = bool({"transformers", "langchain", "openai"} & set(META.flavors))
if SIGNATURE is None:
    logger.warning("the model has no signature: /swagger.json describes no inputs and requests are not checked")
INPUT_SAMPLE = None if TEXT_MODEL else example_sample(META)
if INPUT_SAMPLE is None and SIGNATURE is not None and not TEXT_MODEL:
    INPUT_SAMPLE = schema_sample(SIGNATURE.inputs)
OUTPUT_SAMPLE = schema_sample(SIGNATURE.outputs) if SIGNATURE is not None and SIGNATURE.outputs else None
PARAMS_SAMPLE = params_sample(SIGNATURE)
INPUT_TYPE = parameter_type(INPUT_SAMPLE, orient="split")
OUTPUT_TYPE = parameter_type(OUTPUT_SAMPLE, orient="records")
PARAMS_TYPE = PassThrough() if PARAMS_SAMPLE is None else StandardPythonParameterType(PARAMS_SAMPLE)
# These types hand run() the model's input ready-made; only the pass-through one needs model_input().
PARSED = not isinstance(INPUT_TYPE, PassThrough)
model = None
collectors = (None, None)


def make_collectors():
    """model_inputs and model_outputs Collectors when the deployment has a data_collector (localep then sets
    AZUREML_MDC_CONFIG_PATH), as the cloud's MLflow scoring collects them; a disabled one just drops."""
    if not os.environ.get("AZUREML_MDC_CONFIG_PATH"):
        return None, None
    from azureml.ai.monitoring import Collector

    def report(error):
        logger.info("data collection: %s", error)

    return Collector(name="model_inputs", on_error=report), Collector(name="model_outputs", on_error=report)


def collect(collector, value, context=None):
    """Collect `value` as a DataFrame (the only type the package takes); the correlation context for the next."""
    if collector is None or pd is None:
        return context
    try:
        frame = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
    except (ValueError, TypeError) as error:
        logger.info("data collection: cannot make a DataFrame of %s: %s", type(value).__name__, error)
        return context
    return collector.collect(frame, context)


def init():
    global model, collectors
    logger.info("loading the MLflow model from %s", MODEL_PATH)
    model = load_model(MODEL_PATH)
    collectors = make_collectors()


def model_input(input_data):
    """What an unchecked `input_data` means: a list is an array, split-oriented columns a DataFrame, any other
    dict named tensors. Text models also take a plain string, a list of strings and a list of dicts."""
    if TEXT_MODEL and (isinstance(input_data, (str, bytes)) or (
            isinstance(input_data, list) and all(isinstance(item, (str, dict)) for item in input_data))):
        return input_data
    if isinstance(input_data, str):
        input_data = json.loads(input_data)
    if isinstance(input_data, list):
        return np.asarray(input_data)
    if isinstance(input_data, dict) and {"columns", "index", "data"} <= input_data.keys() and pd is not None:
        return pd.read_json(io.StringIO(json.dumps(input_data)), orient="split", dtype=False)
    if isinstance(input_data, dict):
        return {name: np.asarray(value) for name, value in input_data.items()}
    return input_data


def jsonable(result):
    """Records for DataFrames (and Series), lists for arrays, anything else as it is."""
    if isinstance(result, np.ndarray):
        return result.tolist()
    if pd is not None and isinstance(result, pd.DataFrame):
        return json.loads(result.to_json(orient="records"))
    if pd is not None and isinstance(result, pd.Series):
        return json.loads(pd.DataFrame(result).to_json(orient="records"))
    if isinstance(result, dict):
        return {key: jsonable(value) for key, value in result.items()}
    return result


@input_schema("input_data", INPUT_TYPE)
@input_schema("params", PARAMS_TYPE, optional=True)
@output_schema(OUTPUT_TYPE)
def run(input_data, params=None):
    data = input_data if PARSED else model_input(input_data)
    context = collect(collectors[0], data)
    if params is not None and "params" in inspect.signature(model.predict).parameters:
        result = jsonable(model.predict(data, params=params))
    else:
        result = jsonable(model.predict(data))
    collect(collectors[1], result, context)
    return result
