"""No-code MLflow deployments (issue 10): real models logged with mlflow here, served with the generated scoring
script on the real inference server in the model's own environment, through the local endpoint."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Dict

import pytest
import requests
from tests.e2e.collected import collection_folder, wait_for_events

pytestmark = pytest.mark.docker

FEATURES = {"a": [1.0, 2.0, 3.0, 4.0, 5.5], "b": [0.5, 1.0, 1.5, 3.0, -2.0]}
NAMED_MODEL_CODE = '''
import pickle

import numpy as np
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class NamedColumns(PythonModel):
    """Named tensors in, the sklearn model's predictions out."""

    def load_context(self, context):
        with open(context.artifacts["regression"], "rb") as handle:
            self.regression = pickle.load(handle)

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        features = np.column_stack([model_input["a"], model_input["b"]])
        return self.regression.predict(features) * scale


set_model(NamedColumns())
'''


def deployment_yaml(name: str, endpoint: str, model_path: str) -> str:
    return textwrap.dedent(f"""\
        $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
        name: {name}
        endpoint_name: {endpoint}
        model:
          name: {name}-model
          version: 1
          path: {model_path}
          type: mlflow_model
        instance_type: Standard_DS3_v2
        """)


@pytest.fixture(scope="session")
def mlflow_models(tmp_path_factory) -> Dict[str, object]:
    """Three tiny sklearn models saved by mlflow with signatures: columns (split orientation), an unnamed tensor
    (lists) and named tensors (dict of lists, with a `scale` param). Same requirements, so one image serves all."""
    pytest.importorskip("mlflow")
    import mlflow.pyfunc
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    import pyarrow
    import sklearn
    from mlflow.models import infer_signature
    from mlflow.types import ParamSchema, ParamSpec, Schema, TensorSpec
    from sklearn.linear_model import LinearRegression

    root = tmp_path_factory.mktemp("mlflow-models")
    # pyarrow: the batch driver reads Parquet with it (the cloud's MLflow batch image has it; here the model's
    # environment must).
    requirements = [f"mlflow-skinny=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
                    f"pandas=={pd.__version__}", f"pyarrow=={pyarrow.__version__}"]
    frame = pd.DataFrame(FEATURES)
    target = frame.a * 2 + frame.b * 3 + 1
    columns = LinearRegression().fit(frame, target)
    mlflow.sklearn.save_model(columns, str(root / "columns"), signature=infer_signature(frame, columns.predict(frame)),
                              serialization_format="pickle", pip_requirements=requirements)
    array = frame.to_numpy()
    tensor = LinearRegression().fit(array, target.to_numpy())
    mlflow.sklearn.save_model(tensor, str(root / "tensor"), signature=infer_signature(array, tensor.predict(array)),
                              serialization_format="pickle", pip_requirements=requirements)
    code = root / "named_model.py"
    code.write_text(NAMED_MODEL_CODE)
    named_signature = mlflow.models.ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("float64"), (-1,), "a"), TensorSpec(np.dtype("float64"), (-1,), "b")]),
        outputs=Schema([TensorSpec(np.dtype("float64"), (-1,))]),
        params=ParamSchema([ParamSpec("scale", "double", 1.0)]),
    )
    mlflow.pyfunc.save_model(str(root / "named"), python_model=str(code),
                             artifacts={"regression": str(root / "tensor" / "model.pkl")},
                             signature=named_signature, pip_requirements=requirements)
    return {"root": root, "columns": columns, "tensor": tensor, "frame": frame}


@pytest.fixture(scope="session")
def mlflow_image(cli, base_image, mlflow_models) -> str:
    """The models' environment image, built once (its conda.yaml is the same for all three)."""
    root = mlflow_models["root"]
    (root / "columns.yml").write_text(deployment_yaml("columns", "mlflow-build", "columns"))
    built = cli.json("build", str(root / "columns.yml"))
    return built[0]["image"]


@pytest.fixture(scope="module")
def mlflow_endpoint(cli, mlflow_models, mlflow_image, tmp_path_factory):
    """One endpoint with the three deployments for this module's read-only requests."""
    root: Path = mlflow_models["root"]
    tmp_path = tmp_path_factory.mktemp("mlflow-endpoint")
    name = f"t-mlflow-{uuid.uuid4().hex[:6]}"
    files = []
    for deployment in ("columns", "tensor", "named"):
        path = tmp_path / f"{deployment}.yml"
        path.write_text(deployment_yaml(deployment, name, str(root / deployment)))
        files.append(str(path))
    (tmp_path / "endpoint.yml").write_text(f"name: {name}\nauth_mode: key\ntraffic:\n  columns: 100\n")
    result = cli.run("up", str(tmp_path / "endpoint.yml"), *files, "--detach", "--json")
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    session = cli.keyed_session(name)
    yield summary, session, result.stderr.decode()
    cli.run("down", name)


def test_generated_environment_is_the_models_own_with_honest_warnings(mlflow_endpoint, mlflow_image):
    summary, _, stderr = mlflow_endpoint
    assert "the model's environment lacks azureml-inference-server-http; localep added it" in stderr
    assert "has no conda, so the conda file's packages are installed with pip" in stderr
    assert {d["deployment"] for d in summary["deployments"]} == {"columns", "tensor", "named"}


def test_each_request_shape_predicts_what_the_model_predicts(mlflow_endpoint, mlflow_models):
    summary, session, _ = mlflow_endpoint
    uri = summary["scoring_uri"]
    frame = mlflow_models["frame"]
    expected = mlflow_models["columns"].predict(frame).tolist()
    split = {"columns": list(frame.columns), "index": list(range(len(frame))), "data": frame.to_numpy().tolist()}

    answer = session.post(uri, json={"input_data": split}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["azureml-model-deployment"] == "columns"
    assert answer.json() == pytest.approx(expected)

    answer = session.post(uri, json={"input_data": split, "params": {}}, timeout=30)
    assert answer.status_code == 200 and answer.json() == pytest.approx(expected)

    tensor_expected = mlflow_models["tensor"].predict(frame.to_numpy()).tolist()
    answer = session.post(uri, json={"input_data": frame.to_numpy().tolist()},
                          headers={"azureml-model-deployment": "tensor"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == pytest.approx(tensor_expected)

    named = {"a": FEATURES["a"], "b": FEATURES["b"]}
    answer = session.post(uri, json={"input_data": named}, headers={"azureml-model-deployment": "named"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == pytest.approx(tensor_expected)
    answer = session.post(uri, json={"input_data": named, "params": {"scale": 2.0}},
                          headers={"azureml-model-deployment": "named"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == pytest.approx([2 * value for value in tensor_expected])


def test_the_clouds_request_errors_arrive_as_424_with_the_models_status(mlflow_endpoint):
    summary, session, _ = mlflow_endpoint
    uri = summary["scoring_uri"]
    missing = session.post(uri, json={"data": [[1, 2]]}, timeout=30)
    assert missing.status_code == 424
    assert missing.headers["ms-azureml-model-error-statuscode"] == "400"
    assert "input_data" in missing.json()["message"]
    not_object = session.post(uri, json=[[1.0, 2.0]], timeout=30)
    assert not_object.status_code == 424 and not_object.headers["ms-azureml-model-error-statuscode"] == "400"
    not_json = session.post(uri, data=b'{"input_data": []}', headers={"Content-Type": "text/plain"}, timeout=30)
    assert not_json.status_code == 424 and not_json.headers["ms-azureml-model-error-statuscode"] == "415"
    wrong_type = session.post(uri, json={"input_data": {"columns": ["a", "b"], "index": [0],
                                                        "data": [["not a number", 1.0]]}}, timeout=30)
    assert wrong_type.status_code == 424 and wrong_type.headers["ms-azureml-model-error-statuscode"] == "500"


def test_swagger_lists_the_signature_columns(mlflow_endpoint):
    summary, session, _ = mlflow_endpoint
    root = summary["scoring_uri"].rsplit("/score", 1)[0]
    swagger = session.get(f"{root}/swagger.json", timeout=30)
    assert swagger.status_code == 200, swagger.text
    body = swagger.json()
    example = body["definitions"]["ServiceInput"]["example"]["input_data"]
    assert example["columns"] == ["a", "b"]
    schema = body["definitions"]["ServiceInput"]["properties"]["input_data"]
    assert schema["format"] == "pandas.DataFrame:split"


def test_saving_a_new_model_reloads_the_deployment(cli, mlflow_models, mlflow_image, tmp_path):
    """The dev loop works for generated scoring too: re-saving the model changes the answers, no rebuild."""
    import pickle
    import shutil
    import signal
    import time

    from sklearn.linear_model import LinearRegression

    model = tmp_path / "columns"
    shutil.copytree(mlflow_models["root"] / "columns", model)
    name = f"t-mlflow-reload-{uuid.uuid4().hex[:6]}"
    deployment = tmp_path / "blue.yml"
    deployment.write_text(deployment_yaml("blue", name, "columns"))
    process = cli.popen("up", str(deployment), "--no-auth")
    try:
        uri = process.stdout.readline().decode().strip()
        assert uri.startswith("http://"), process.stderr.read().decode() if process.poll() is not None else uri
        request = {"input_data": {"columns": ["a", "b"], "index": [0], "data": [[1.0, 1.0]]}}
        assert requests.post(uri, json=request, timeout=30).json() == pytest.approx([6.0])
        frame = mlflow_models["frame"]
        replacement = LinearRegression().fit(frame, frame.a * 100)
        (model / "model.pkl").write_bytes(pickle.dumps(replacement))
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline:
            answer = requests.post(uri, json=request, timeout=30)
            if answer.status_code == 200 and answer.json() == pytest.approx([100.0]):
                break
            time.sleep(0.2)
        assert answer is not None and answer.json() == pytest.approx([100.0]), answer.text if answer else None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def batch_deployment_yaml(endpoint: str, model_path: Path) -> str:
    return textwrap.dedent(f"""\
        $schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
        name: mlflow-batch
        endpoint_name: {endpoint}
        type: model
        model:
          name: columns-model
          version: 1
          path: {model_path}
          type: mlflow_model
        compute: azureml:batch-cluster
        resources:
          instance_count: 1
        settings:
          mini_batch_size: 2
          output_action: append_row
          error_threshold: -1
        """)


def test_mlflow_batch_without_code_predicts_csv_and_parquet_files(cli, mlflow_models, mlflow_image, tmp_path):
    import csv

    frame = mlflow_models["frame"]
    data = tmp_path / "data"
    data.mkdir()
    frame.to_csv(data / "first.csv", index=False)
    frame.iloc[1:3].to_parquet(data / "second.parquet")
    (data / "third.avro").write_bytes(b"Obj\x01")
    deployment = tmp_path / "batch.yml"
    deployment.write_text(batch_deployment_yaml(f"bt-mlflow-{uuid.uuid4().hex[:6]}", mlflow_models["root"] / "columns"))
    out = tmp_path / "out"
    result = cli.run("batch", "run", str(deployment), "--input", str(data), "--output", str(out), "--json", timeout=600)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert (summary["items"], summary["succeeded"], summary["failed"]) == (3, 2, 1), summary
    expected = mlflow_models["columns"].predict(frame)
    rows = sorted(tuple(row) for row in csv.reader((out / "predictions.csv").read_text().splitlines()))
    wanted = sorted([(str(index), "first.csv") for index in range(len(frame))]
                    + [(str(index), "second.parquet") for index in range(2)])
    assert sorted((row[0], row[2]) for row in rows) == wanted
    by_key = {(row[2], int(row[0])): float(row[1]) for row in rows}
    assert [by_key[("first.csv", index)] for index in range(len(frame))] == pytest.approx(expected)
    assert [by_key[("second.parquet", index)] for index in range(2)] == pytest.approx(expected[1:3])
    logs = "".join(path.read_text() for path in (out / "logs").rglob("*.txt"))
    assert "Error processing input file: '" in logs and "File type 'avro' is not supported" in logs


def test_mlflow_without_code_collects_inputs_and_outputs(cli, mlflow_models, mlflow_image, tmp_path, localep_home):
    """With a data_collector, the generated scoring collects model_inputs/model_outputs as the cloud's does (localep
    adds azureml-ai-monitoring to the model's environment); a disabled collection stays empty."""
    name = f"t-mlflow-dc-{uuid.uuid4().hex[:6]}"
    deployment = tmp_path / "columns.yml"
    deployment.write_text(deployment_yaml("columns", name, str(mlflow_models["root"] / "columns")) + textwrap.dedent("""\
        data_collector:
          collections:
            model_inputs:
              enabled: 'True'
            model_outputs:
              enabled: 'True'
            request:
              enabled: 'False'
        """))
    result = cli.run("up", str(deployment), "--detach", "--json", timeout=900)
    try:
        assert result.returncode == 0, result.stderr.decode()
        summary = json.loads(result.stdout)
        frame = mlflow_models["frame"]
        split = {"columns": list(frame.columns), "index": list(range(len(frame))), "data": frame.to_numpy().tolist()}
        session = cli.keyed_session(name)
        for _ in range(3):
            assert session.post(summary["scoring_uri"], json={"input_data": split}, timeout=30).status_code == 200
        lines = {c: wait_for_events(collection_folder(localep_home, name, c, deployment="columns"), 3)
                 for c in ("model_inputs", "model_outputs")}
        assert [len(lines["model_inputs"]), len(lines["model_outputs"])] == [3, 3]
        assert set(lines["model_inputs"][0]["data"][0]) == set(frame.columns)
        assert len(lines["model_outputs"][0]["data"]) == len(frame)
        assert sorted(e["correlationid"] for e in lines["model_inputs"]) == sorted(
            e["correlationid"] for e in lines["model_outputs"])
        assert not collection_folder(localep_home, name, "request", deployment="columns").exists()
    finally:
        cli.run("down", name)
