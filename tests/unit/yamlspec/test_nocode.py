"""No-code MLflow and Triton deployments: typed environments and scoring at load time, the Triton container (no Docker)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from localep.errors import SpecError
from localep.images.kinds import select_kind
from localep.images.kinds.base import BaseImageFacts
from localep.runtime.plan import ALL_GPUS, plan_container, requested_gpus
from localep.yamlspec import load_deployment, load_project
from localep.yamlspec.nocode import NoCodeImages, no_code_images
from localep.yamlspec.nocode_mlflow import MLFLOW_RESOURCES, MLFLOW_SCORING_SCRIPT
from localep.yamlspec.nocode_triton import DEFAULT_TRITON_IMAGE

MLMODEL = """\
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.7
  sklearn:
    pickled_model: model.pkl
"""
CONDA = "name: mlflow-env\ndependencies:\n- python=3.11.7\n- pip\n- pip:\n  - mlflow==2.17.2\n"


def write_deployment(folder: Path, model_type: str, path: str = "model", extra: str = "") -> Path:
    file = folder / "blue.yml"
    file.write_text(textwrap.dedent(f"""\
        name: blue
        endpoint_name: ep
        model:
          name: sk
          version: 2
          path: {path}
          type: {model_type}
        instance_type: Standard_DS3_v2
        """) + extra)
    return file


def mlflow_folder(tmp_path: Path, mlmodel: str = MLMODEL, **files: str) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text(mlmodel)
    for name, text in files.items():
        (folder / name.replace("_yaml", ".yaml").replace("_txt", ".txt")).write_text(text)
    return folder


def test_mlflow_without_code_gets_the_models_conda_file_and_the_generated_script(tmp_path):
    folder = mlflow_folder(tmp_path, conda_yaml=CONDA)
    deployment = load_deployment(write_deployment(tmp_path, "mlflow_model"), images=NoCodeImages(mlflow_base="base:1"))
    environment = deployment.environment
    assert environment is not None and environment.generated_for == "mlflow_model"
    assert environment.image == "base:1" and environment.conda_file == folder / "conda.yaml"
    code = deployment.code_configuration
    assert code is not None and code.script_path == MLFLOW_RESOURCES / MLFLOW_SCORING_SCRIPT
    assert code.script_path.is_file()
    assert deployment.environment_variables == {"MLFLOW_MODEL_FOLDER": "model"}
    without_conda = BaseImageFacts(image="base:1", image_id="sha256:1")
    assert select_kind(environment, without_conda).name == "pip", "built like any conda file"


def test_the_users_variables_win_and_the_project_loads_runnable(tmp_path):
    mlflow_folder(tmp_path, conda_yaml=CONDA)
    file = write_deployment(tmp_path, "mlflow_model", extra="environment_variables:\n  MLFLOW_MODEL_FOLDER: other\n")
    project = load_project([file])
    assert project.deployments[0].environment_variables["MLFLOW_MODEL_FOLDER"] == "other"


def test_python_env_and_requirements_fall_back_to_an_equivalent_conda_file(tmp_path, private_localep_home):
    mlflow_folder(tmp_path, python_env_yaml="python: 3.10.4\ndependencies:\n- -r requirements.txt\n",
                  requirements_txt="mlflow==2.17.2\n# a comment\nscikit-learn==1.5.0\n")
    environment = load_deployment(write_deployment(tmp_path, "mlflow_model")).environment
    assert environment is not None and environment.conda_file is not None
    assert environment.conda_file.parent == private_localep_home / "generated"
    generated = yaml.safe_load(environment.conda_file.read_text())
    assert generated["dependencies"] == ["python=3.10.4", "pip", {"pip": ["mlflow==2.17.2", "scikit-learn==1.5.0"]}]
    environment.conda_file.write_text("dependencies: [evil]\n")
    again = load_deployment(write_deployment(tmp_path, "mlflow_model")).environment
    assert again is not None and again.conda_file == environment.conda_file, "content-addressed: same cache key"
    assert yaml.safe_load(again.conda_file.read_text()) == generated, "a changed file is written anew"


def test_requirements_alone_take_the_python_of_the_mlmodel(tmp_path):
    mlflow_folder(tmp_path, requirements_txt="mlflow\n")
    environment = load_deployment(write_deployment(tmp_path, "mlflow_model")).environment
    assert environment is not None and environment.conda_file is not None
    assert yaml.safe_load(environment.conda_file.read_text())["dependencies"][0] == "python=3.11.7"


@pytest.mark.parametrize(
    ("mlmodel", "files", "message"),
    [
        (None, {}, "no MLmodel file in"),
        ("flavors:\n  sklearn:\n    pickled_model: model.pkl\n", {"conda_yaml": CONDA},
         "has no python_function flavor (it has sklearn)"),
        ("flavors: {}\n", {}, "names no flavors"),
        (MLMODEL, {}, "has no conda.yaml, python_env.yaml or requirements.txt"),
        (": not yaml: [", {}, "is not valid YAML"),
    ],
)
def test_unservable_mlflow_folders_are_spec_errors_at_model_path(tmp_path, mlmodel, files, message):
    if mlmodel is None:
        (tmp_path / "model").mkdir()
    else:
        mlflow_folder(tmp_path, mlmodel, **files)
    with pytest.raises(SpecError) as error:
        load_deployment(write_deployment(tmp_path, "mlflow_model"))
    assert message in error.value.message
    assert error.value.location is not None and error.value.location.line == 6


def test_a_scoring_script_and_environment_of_the_users_win(tmp_path):
    mlflow_folder(tmp_path, conda_yaml=CONDA)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    (tmp_path / "env.yml").write_text(CONDA)
    extra = ("code_configuration:\n  code: src\n  scoring_script: score.py\n"
             "environment:\n  image: mine:1\n  conda_file: env.yml\n")
    deployment = load_deployment(write_deployment(tmp_path, "mlflow_model", extra=extra))
    assert deployment.code_configuration is not None and deployment.code_configuration.code == tmp_path / "src"
    assert deployment.environment is not None and deployment.environment.image == "mine:1"
    assert deployment.environment.generated_for is None


def test_half_of_code_and_environment_is_refused_with_what_to_do(tmp_path):
    mlflow_folder(tmp_path, conda_yaml=CONDA)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    file = write_deployment(tmp_path, "mlflow_model", extra="code_configuration:\n  code: src\n  scoring_script: score.py\n")
    with pytest.raises(SpecError, match=r"a scoring script needs an environment.*generated MLflow scoring"):
        load_project([file])


def triton_repository(tmp_path: Path) -> Path:
    version = tmp_path / "models" / "model_1" / "1"
    version.mkdir(parents=True)
    (version / "model.onnx").write_bytes(b"onnx")
    return tmp_path / "models"


def test_triton_runs_tritonserver_on_the_mounted_repository_over_kserve(tmp_path):
    triton_repository(tmp_path)
    file = write_deployment(tmp_path, "triton_model", path="models")
    deployment = load_deployment(file, images=no_code_images({}, None))
    environment = deployment.environment
    assert environment is not None and environment.image == DEFAULT_TRITON_IMAGE
    assert deployment.code_configuration is None
    kind = select_kind(environment, None)
    server = kind.server(environment)
    assert kind.name == "triton" and not server.localep_layer
    assert (server.protocol, server.port, server.readiness_path, server.liveness_path) == (
        "kserve", 8000, "/v2/health/ready", "/v2/health/live")
    plan = plan_container(deployment, environment.image or "", server, host_port=32000)
    assert plan.command[:2] == ["/bin/sh", "-c"]
    assert 'tritonserver --model-repository="$AZUREML_MODEL_DIR"/models --http-port=8000' in plan.command[2]
    assert plan.environment["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/sk/2"
    assert {m.target for m in plan.mounts} == {"/var/azureml-app/azureml-models/sk/2/models"}
    assert plan.ports == {"8000/tcp": ("127.0.0.1", 32000)}
    assert plan.labels["localep.agent"] == "false"


def test_the_triton_image_comes_from_the_flag_then_the_variable_then_nvidias():
    assert no_code_images({}, None).triton == DEFAULT_TRITON_IMAGE
    assert no_code_images({"LOCALEP_TRITON_IMAGE": "env:1"}, None).triton == "env:1"
    assert no_code_images({"LOCALEP_TRITON_IMAGE": "env:1"}, "flag:1").triton == "flag:1"
    assert no_code_images({"LOCALEP_MLFLOW_IMAGE": "mine:2"}).mlflow_base == "mine:2"


def test_gpu_requests_become_device_requests_only_on_an_engine_with_a_gpu(tmp_path):
    triton_repository(tmp_path)
    file = write_deployment(tmp_path, "triton_model", path="models")
    file.write_text(file.read_text().replace("Standard_DS3_v2", "Standard_NC4as_T4_v3"))
    gpu_sku = load_deployment(file)
    assert requested_gpus(gpu_sku) == ALL_GPUS
    environment = gpu_sku.environment
    assert environment is not None
    server = select_kind(environment, None).server(environment)
    assert plan_container(gpu_sku, "img", server, host_port=1, engine_has_gpu=True).gpus == ALL_GPUS
    assert plan_container(gpu_sku, "img", server, host_port=1, engine_has_gpu=False).gpus == 0
    cpu = load_deployment(write_deployment(tmp_path, "triton_model", path="models"))
    assert requested_gpus(cpu) == 0


def test_kubernetes_gpu_resources_are_counted(tmp_path):
    triton_repository(tmp_path)
    file = write_deployment(tmp_path, "triton_model", path="models",
                            extra="type: kubernetes\nresources:\n  limits:\n    nvidia.com/gpu: 2\n")
    file.write_text(file.read_text().replace("instance_type: Standard_DS3_v2\n", ""))
    assert requested_gpus(load_deployment(file)) == 2


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ([], "has no model folders"),
        (["model_1/config.pbtxt"], "model folder model_1 in"),
        (["model_1/1/model.onnx", "model_2/latest/model.onnx"], "model folder model_2 in"),
    ],
)
def test_triton_repositories_need_numbered_version_folders(tmp_path, layout, message):
    repository = tmp_path / "models"
    repository.mkdir()
    for relative in layout:
        (repository / relative).parent.mkdir(parents=True, exist_ok=True)
        (repository / relative).write_text("x")
    with pytest.raises(SpecError) as error:
        load_deployment(write_deployment(tmp_path, "triton_model", path="models"))
    assert message in error.value.message


def test_a_triton_repository_without_config_pbtxt_is_fine(tmp_path):
    triton_repository(tmp_path)
    deployment = load_deployment(write_deployment(tmp_path, "triton_model", path="models"))
    assert deployment.environment is not None and deployment.environment.generated_for == "triton_model"


class FakeContainers:
    def __init__(self):
        self.created = {}

    def get(self, name):
        import docker.errors

        raise docker.errors.NotFound(name)

    def create(self, image, **kwargs):
        self.created = kwargs
        return FakeContainer()


class FakeContainer:
    def start(self):
        pass

    def reload(self):
        pass


class FakeEngine:
    def __init__(self, info):
        self._info = info
        self.containers = FakeContainers()

    def info(self):
        return self._info


def test_the_engine_has_a_gpu_when_the_nvidia_runtime_is_registered():
    from localep.runtime.containers import engine_has_gpu

    assert engine_has_gpu(FakeEngine({"Runtimes": {"runc": {}, "nvidia": {"path": "nvidia-container-runtime"}}}))
    assert engine_has_gpu(FakeEngine({"Runtimes": {"runc": {}}, "DefaultRuntime": "nvidia"}))
    assert not engine_has_gpu(FakeEngine({"Runtimes": {"runc": {}}, "DefaultRuntime": "runc"}))


def test_a_planned_gpu_count_is_a_docker_device_request(tmp_path):
    from localep.runtime.containers import start

    triton_repository(tmp_path)
    file = write_deployment(tmp_path, "triton_model", path="models")
    file.write_text(file.read_text().replace("Standard_DS3_v2", "Standard_NC4as_T4_v3"))
    deployment = load_deployment(file)
    environment = deployment.environment
    assert environment is not None
    server = select_kind(environment, None).server(environment)
    engine = FakeEngine({})
    start(engine, plan_container(deployment, "img", server, host_port=1, engine_has_gpu=True))  # type: ignore[arg-type]
    [request] = engine.containers.created["device_requests"]
    assert (request["Count"], request["Capabilities"]) == (ALL_GPUS, [["gpu"]])
    start(engine, plan_container(deployment, "img", server, host_port=1, engine_has_gpu=False))  # type: ignore[arg-type]
    assert engine.containers.created["device_requests"] is None


def test_a_model_saved_with_another_python_minor_gets_the_mismatch_warning(tmp_path):
    mlflow_folder(tmp_path, conda_yaml=CONDA.replace("python=3.11.7", "python=3.12.1"))
    environment = load_deployment(write_deployment(tmp_path, "mlflow_model")).environment
    assert environment is not None
    debian = BaseImageFacts(image="base:1", image_id="sha256:1", python_version="3.11.2")
    recipe = select_kind(environment, debian).recipe(environment, debian)
    assert recipe is not None
    assert "python mismatch: the conda file asks for 3.12.1, the image has 3.11.2" in recipe.warnings[0]
    same_minor = BaseImageFacts(image="base:1", image_id="sha256:1", python_version="3.12.0")
    recipe = select_kind(environment, same_minor).recipe(environment, same_minor)
    assert recipe is not None and "python mismatch" not in recipe.warnings[0]


BATCH = """\
name: scorer
endpoint_name: batch-ep
type: model
model:
  name: sk
  version: 1
  path: model
  type: {model_type}
compute: azureml:cpu
settings:
  mini_batch_size: 2
  environment_variables:
    EXTRA: "1"
"""


def test_a_batch_mlflow_model_without_code_runs_the_built_in_driver(tmp_path):
    from localep.yamlspec.batch_loader import load_batch_deployment
    from localep.yamlspec.nocode_mlflow import MLFLOW_BATCH_DRIVER

    folder = mlflow_folder(tmp_path, conda_yaml=CONDA)
    file = tmp_path / "batch.yml"
    file.write_text(BATCH.format(model_type="mlflow_model"))
    deployment = load_batch_deployment(file)
    assert deployment.code_configuration is not None
    assert deployment.code_configuration.script_path == MLFLOW_RESOURCES / MLFLOW_BATCH_DRIVER
    assert deployment.environment is not None and deployment.environment.conda_file == folder / "conda.yaml"
    assert deployment.environment_variables == {"MLFLOW_MODEL_FOLDER": "model", "EXTRA": "1"}


def test_a_batch_triton_model_without_code_is_refused(tmp_path):
    from localep.yamlspec.batch_loader import load_batch_deployment

    triton_repository(tmp_path)
    file = tmp_path / "batch.yml"
    file.write_text(BATCH.format(model_type="triton_model").replace("path: model", "path: models"))
    with pytest.raises(SpecError, match="only MLflow models have a built-in batch driver"):
        load_batch_deployment(file)
