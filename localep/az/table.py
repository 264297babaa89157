"""The command table: which `az ml` groups and verbs exist and which flags each takes (azure-cli's
`commands.py`). Handlers live in online.py and assets.py; each is a thin call into localep's own functions."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable, Tuple

from localep.az import assets, online
from localep.az.arguments import (
    ARCHIVED_ONLY,
    DESCRIPTION,
    ENDPOINT_NAME,
    FILE,
    INCLUDE_ARCHIVED,
    LABEL,
    LOCAL,
    MAX_RESULTS,
    NAME,
    NO_WAIT,
    PATH,
    SET,
    TAGS,
    VERSION,
    YES,
    Arg,
    accepted,
)

Handler = Callable[[argparse.Namespace], Any]


@dataclass(frozen=True)
class Verb:
    group: str
    name: str
    handler: Handler
    summary: str
    example: str
    args: Tuple[Arg, ...] = ()


DEPLOYMENT_NAME = Arg(("-d", "--deployment-name", "--deployment"), "deployment_name", "Deployment to send the "
                                                                                      "request to (pins it).")
REQUEST_FILE = Arg(("-r", "--request-file"), "request_file", "File with the request body (JSON).")
ALL_TRAFFIC = Arg(("--all-traffic",), "all_traffic", "Send all of the endpoint's traffic to this deployment.", flag=True)
SKIP_SCRIPT_VALIDATION = accepted(("--skip-script-validation",), "skip_script_validation",
                                  "localep checks the scoring script by starting it", flag=True)
LOCAL_ENABLE_GPU = accepted(("--local-enable-gpu",), "local_enable_gpu", "GPU requests follow resources.limits",
                            flag=True)
PACKAGE_MODEL = accepted(("--package-model",), "package_model", "the model folder is mounted, not packaged",
                         flag=True)
VSCODE_DEBUG = accepted(("--vscode-debug",), "vscode_debug", "use `localep up --debug --vscode` to debug", flag=True)
DEPLOYMENT_FLAGS = (ENDPOINT_NAME, FILE, SET, LOCAL, NO_WAIT, SKIP_SCRIPT_VALIDATION, LOCAL_ENABLE_GPU, PACKAGE_MODEL,
                    VSCODE_DEBUG)
TRAFFIC = Arg(("-r", "--traffic"), "traffic", "Traffic split, e.g. \"blue=90 green=10\" (others get 0).")
MIRROR_TRAFFIC = Arg(("--mirror-traffic",), "mirror_traffic", "Mirrored share, e.g. \"green=10\" (0 stops it).")
LINES = Arg(("-l", "--lines"), "lines", "Only the last N lines.")
CONTAINER = accepted(("-c", "--container"), "container", "the log is the inference server's own")
KEY_TYPE = Arg(("--key-type",), "key_type", "Which key.", choices=("primary", "secondary"), default="primary")
KEY_VALUE = Arg(("--key-value",), "key_value", "Use this value instead of a new random key.")
MODEL_TYPE = Arg(("-t", "--type"), "type", "Model type.", choices=("custom_model", "mlflow_model", "triton_model"))
DATA_TYPE = Arg(("-t", "--type"), "type", "Data type.", choices=("uri_file", "uri_folder", "mltable"))
IMAGE = Arg(("-i", "--image"), "image", "Base image of the environment.")
CONDA_FILE = Arg(("-c", "--conda-file"), "conda_file", "Conda file (copied into the local registry).")
BUILD_CONTEXT = Arg(("-b", "--build-context"), "build_context", "Folder with a Dockerfile (copied).")
DOCKERFILE_PATH = Arg(("--dockerfile-path",), "dockerfile_path", "Dockerfile inside the build context.")
OS_TYPE = Arg(("--os-type",), "os_type", "Operating system of the image.", choices=("linux", "windows"))
DATASTORE = accepted(("--datastore",), "datastore", "files are copied into the local registry")
REGISTRY_NAME = accepted(("--registry-name",), "registry_name", "the local registry is the only one")
STAGE = Arg(("-s", "--stage"), "stage", "Stage label of the model.")

EP = "online-endpoint"
DEP = "online-deployment"
VERBS = (
    Verb(EP, "create", online.endpoint_create, "Create an endpoint (no deployment yet).",
         "localep az ml online-endpoint create --local -n my-endpoint -f endpoint.yml",
         (NAME, FILE, SET, LOCAL, NO_WAIT)),
    Verb(EP, "update", online.endpoint_update, "Change traffic, mirror traffic or fields of an endpoint.",
         "localep az ml online-endpoint update -n my-endpoint --traffic \"blue=90 green=10\"",
         (NAME, FILE, SET, TRAFFIC, MIRROR_TRAFFIC, LOCAL, NO_WAIT)),
    Verb(EP, "show", online.endpoint_show, "Show an endpoint, with provisioning_state and scoring_uri.",
         "localep az ml online-endpoint show -n my-endpoint --query scoring_uri -o tsv", (NAME.needed(), LOCAL)),
    Verb(EP, "list", online.endpoint_list, "List local endpoints.", "localep az ml online-endpoint list -o table",
         (LOCAL,)),
    Verb(EP, "delete", online.endpoint_delete, "Delete an endpoint and all its deployments.",
         "localep az ml online-endpoint delete -n my-endpoint --yes", (NAME.needed(), YES, LOCAL, NO_WAIT)),
    Verb(EP, "invoke", online.endpoint_invoke, "Score one request; prints the answer.",
         "localep az ml online-endpoint invoke -n my-endpoint --request-file sample-request.json",
         (NAME.needed(), REQUEST_FILE.needed(), DEPLOYMENT_NAME, LOCAL)),
    Verb(EP, "get-credentials", online.endpoint_credentials, "Show the endpoint's keys (or a token).",
         "localep az ml online-endpoint get-credentials -n my-endpoint --query primaryKey -o tsv",
         (NAME.needed(), LOCAL)),
    Verb(EP, "regenerate-keys", online.endpoint_regenerate_keys, "Replace one of the endpoint's keys.",
         "localep az ml online-endpoint regenerate-keys -n my-endpoint --key-type secondary",
         (NAME.needed(), KEY_TYPE, KEY_VALUE, NO_WAIT)),
    Verb(DEP, "create", online.deployment_create, "Build and start a deployment; done when it really answers.",
         "localep az ml online-deployment create --local -n blue -e my-endpoint -f blue-deployment.yml",
         (NAME, *DEPLOYMENT_FLAGS, ALL_TRAFFIC)),
    Verb(DEP, "update", online.deployment_update, "Change a deployment (restarts it with the new definition).",
         "localep az ml online-deployment update -n blue -e my-endpoint --set instance_count=2",
         (NAME, *DEPLOYMENT_FLAGS)),
    Verb(DEP, "show", online.deployment_show, "Show a deployment and whether it really answers.",
         "localep az ml online-deployment show -n blue -e my-endpoint --query provisioning_state -o tsv",
         (NAME.needed(), ENDPOINT_NAME.needed(), LOCAL)),
    Verb(DEP, "list", online.deployment_list, "List an endpoint's deployments.",
         "localep az ml online-deployment list -e my-endpoint -o table", (ENDPOINT_NAME.needed(), LOCAL)),
    Verb(DEP, "delete", online.deployment_delete, "Stop and remove a deployment.",
         "localep az ml online-deployment delete -n green -e my-endpoint --yes",
         (NAME.needed(), ENDPOINT_NAME.needed(), YES, LOCAL, NO_WAIT)),
    Verb(DEP, "get-logs", online.deployment_logs, "Print a deployment's server log.",
         "localep az ml online-deployment get-logs -n blue -e my-endpoint --lines 50",
         (NAME.needed(), ENDPOINT_NAME.needed(), LINES, CONTAINER, LOCAL)),
    Verb("model", "create", assets.model_create, "Register a model version (its files are copied).",
         "localep az ml model create --name my-model --version 1 --path ./model",
         (NAME, VERSION, PATH, MODEL_TYPE, DESCRIPTION, TAGS, FILE, SET, STAGE, DATASTORE, REGISTRY_NAME)),
    Verb("model", "show", assets.model_show, "Show a model version.",
         "localep az ml model show --name my-model --label latest --query version -o tsv",
         (NAME.needed(), VERSION, LABEL, REGISTRY_NAME)),
    Verb("model", "list", assets.model_list, "List the latest version of each model (or every version of --name).",
         "localep az ml model list -o table", (NAME, INCLUDE_ARCHIVED, ARCHIVED_ONLY, MAX_RESULTS, REGISTRY_NAME)),
    Verb("model", "archive", assets.model_archive, "Archive a model version (or all versions): @latest skips it.",
         "localep az ml model archive --name my-model --version 1", (NAME.needed(), VERSION, LABEL)),
    Verb("model", "restore", assets.model_restore, "Restore an archived model version (or all versions).",
         "localep az ml model restore --name my-model --version 1", (NAME.needed(), VERSION, LABEL)),
    Verb("environment", "create", assets.environment_create, "Register an environment version.",
         "localep az ml environment create --name my-env --image python:3.11 --conda-file conda.yaml",
         (NAME, VERSION, IMAGE, CONDA_FILE, BUILD_CONTEXT, DOCKERFILE_PATH, OS_TYPE, DESCRIPTION, TAGS, FILE, SET,
          DATASTORE, REGISTRY_NAME)),
    Verb("environment", "show", assets.environment_show, "Show an environment version.",
         "localep az ml environment show --name my-env --version 1", (NAME.needed(), VERSION, LABEL, REGISTRY_NAME)),
    Verb("environment", "list", assets.environment_list, "List the latest version of each environment.",
         "localep az ml environment list -o table", (NAME, INCLUDE_ARCHIVED, ARCHIVED_ONLY, MAX_RESULTS, REGISTRY_NAME)),
    Verb("environment", "archive", assets.environment_archive, "Archive an environment version (or all versions).",
         "localep az ml environment archive --name my-env --version 1", (NAME.needed(), VERSION, LABEL)),
    Verb("data", "create", assets.data_create, "Register a data asset version (local files are copied).",
         "localep az ml data create --name my-data --path ./images --type uri_folder",
         (NAME, VERSION, PATH, DATA_TYPE, DESCRIPTION, TAGS, FILE, SET, DATASTORE, REGISTRY_NAME)),
    Verb("data", "show", assets.data_show, "Show a data asset version.",
         "localep az ml data show --name my-data --version 1", (NAME.needed(), VERSION, LABEL, REGISTRY_NAME)),
    Verb("data", "list", assets.data_list, "List the latest version of each data asset.",
         "localep az ml data list -o table", (NAME, INCLUDE_ARCHIVED, ARCHIVED_ONLY, MAX_RESULTS, REGISTRY_NAME)),
    Verb("data", "archive", assets.data_archive, "Archive a data asset version (or all versions).",
         "localep az ml data archive --name my-data --version 1", (NAME.needed(), VERSION, LABEL)),
)
