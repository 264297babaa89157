"""Time `localep up` of a no-code MLflow deployment: cold (the model's environment image built from scratch) and
warm (cached image), each to the first 200 from /score. The model is a tiny sklearn regression saved with mlflow.

    python bench/mlflow_up.py [--warm-runs 3] [--skip-cold]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cli_env, localep, summary, timed_up

DEPLOYMENT = """name: blue
endpoint_name: {name}
model:
  name: regression
  version: 1
  path: model
  type: mlflow_model
instance_type: Standard_DS3_v2
"""
REQUEST = json.dumps({"input_data": {"columns": ["a", "b"], "index": [0], "data": [[1.0, 2.0]]}}).encode()


def save_model(folder: Path) -> None:
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 1.0, -1.0]})
    model = LinearRegression().fit(frame, frame.a * 2 + frame.b)
    requirements = [f"mlflow-skinny=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
                    f"pandas=={pd.__version__}"]
    mlflow.sklearn.save_model(model, str(folder / "model"), signature=infer_signature(frame, model.predict(frame)),
                              serialization_format="pickle", pip_requirements=requirements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true", help="Keep the cached image (no cold measurement).")
    args = parser.parse_args()
    name = "bench-mlflow-up"
    folder = Path(tempfile.mkdtemp(prefix="localep-bench-mlflow-"))
    save_model(folder)
    deployment = folder / "blue.yml"
    deployment.write_text(DEPLOYMENT.format(name=name))
    env = cli_env()
    key = json.loads(localep(["keys", name, "--json"], env).stdout)["primary"]
    warm = []
    try:
        if not args.skip_cold:
            cold = timed_up(deployment, env, key, "--rebuild", body=REQUEST, deadline_seconds=900)
            localep(["down", name], env)
            print(f"cold up (model environment built from scratch) to first 200: {cold:.2f}s")
        else:
            localep(["build", str(deployment)], env)
        for _ in range(args.warm_runs):
            warm.append(timed_up(deployment, env, key, body=REQUEST, deadline_seconds=900))
            localep(["down", name], env)
    finally:
        localep(["down", name], env, check=False)
    print(f"warm up to first 200: {summary(warm)}")


if __name__ == "__main__":
    main()
