"""The command table: which `az ml` groups and verbs exist and which flags each takes (azure-cli's
`commands.py`). Handlers live in online.py and assets.py; each is a thin call into localep's own functions."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable, Tuple

from localep.az import assets, batch, online
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
from localep.yamlspec.model import MODEL_TYPES

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
MODEL_TYPE = Arg(("-t", "--type"), "type", "Model type.", choices=MODEL_TYPES)
DATA_TYPE = Arg(("-t", "--type"), "type", "Data type.", choices=("uri_file", "uri_folder", "mltable"))
IMAGE = Arg(("-i", "--image"), "image", "Base image of the environment.")
CONDA_FILE = Arg(("-c", "--conda-file"), "conda_file", "Conda file (copied into the local registry).")
BUILD_CONTEXT = Arg(("-b", "--build-context"), "build_context", "Folder with a Dockerfile (copied).")
DOCKERFILE_PATH = Arg(("--dockerfile-path",), "dockerfile_path", "Dockerfile inside the build context.")
OS_TYPE = Arg(("--os-type",), "os_type", "Operating system of the image.", choices=("linux", "windows"))
DATASTORE = accepted(("--datastore",), "datastore", "files are copied into the local registry")
REGISTRY_NAME = accepted(("--registry-name",), "registry_name", "the local registry is the only one")
STAGE = Arg(("-s", "--stage"), "stage", "Stage label of the model.")

BATCH_INPUT = Arg(("--input", "-i"), "input", "Local file or folder, or a data asset (azureml:NAME:VERSION).")
INPUT_TYPE = Arg(("--input-type",), "input_type", "Type of --input.", choices=("uri_folder", "uri_file"))
MINI_BATCH_SIZE = Arg(("--mini-batch-size",), "mini_batch_size", "Files per run() call for this job.")
INSTANCE_COUNT = Arg(("--instance-count",), "instance_count", "Containers for this job.")
OUTPUT_PATH = Arg(("--output-path",), "output_path", "Local folder for the job's output (default: the job's own "
                                                     "folder under $LOCALEP_HOME/jobs); azureml:// paths are ignored.")
EXPERIMENT_NAME = accepted(("--experiment-name",), "experiment_name", "local jobs are grouped by endpoint")
SET_DEFAULT = Arg(("--set-default",), "set_default", "Make this the endpoint's default deployment.", flag=True)
OUTPUT_NAME = Arg(("--output-name",), "output_name", "The output to download: 'score'.")
DOWNLOAD_PATH = Arg(("-p", "--download-path"), "download_path", "Folder to download into (default: .).")
ALL_OUTPUTS = Arg(("--all",), "all", "Download the logs and every named output.", flag=True)
JOB_NAME = Arg(("-n", "--name"), "name", "Name of the job.", required=True)

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
    Verb("batch-endpoint", "create", batch.batch_endpoint_create, "Create a batch endpoint.",
         "localep az ml batch-endpoint create -n my-batch -f endpoint.yml", (NAME, FILE, SET, NO_WAIT)),
    Verb("batch-endpoint", "update", batch.batch_endpoint_update, "Change a batch endpoint (e.g. its default).",
         "localep az ml batch-endpoint update -n my-batch --set defaults.deployment_name=classifier",
         (NAME, FILE, SET, NO_WAIT)),
    Verb("batch-endpoint", "show", batch.batch_endpoint_show, "Show a batch endpoint.",
         "localep az ml batch-endpoint show -n my-batch --query defaults.deployment_name -o tsv", (NAME.needed(),)),
    Verb("batch-endpoint", "list", batch.batch_endpoint_list, "List batch endpoints.",
         "localep az ml batch-endpoint list -o table"),
    Verb("batch-endpoint", "delete", batch.batch_endpoint_delete, "Delete a batch endpoint (job outputs stay).",
         "localep az ml batch-endpoint delete -n my-batch --yes", (NAME.needed(), YES, NO_WAIT)),
    Verb("batch-endpoint", "invoke", batch.batch_endpoint_invoke, "Start a batch job; returns its name at once.",
         "localep az ml batch-endpoint invoke -n my-batch --input data/ --query name -o tsv",
         (NAME.needed(), BATCH_INPUT, INPUT_TYPE, DEPLOYMENT_NAME, MINI_BATCH_SIZE, INSTANCE_COUNT, OUTPUT_PATH,
          SET, EXPERIMENT_NAME)),
    Verb("batch-endpoint", "list-jobs", batch.batch_endpoint_list_jobs, "List a batch endpoint's jobs.",
         "localep az ml batch-endpoint list-jobs -n my-batch -o table", (NAME.needed(),)),
    Verb("batch-deployment", "create", batch.batch_deployment_create,
         "Validate a batch deployment and build its image.",
         "localep az ml batch-deployment create -f deployment.yml -e my-batch --set-default",
         (NAME, ENDPOINT_NAME, FILE, SET, SET_DEFAULT, NO_WAIT)),
    Verb("batch-deployment", "update", batch.batch_deployment_update, "Change a batch deployment.",
         "localep az ml batch-deployment update -n classifier -e my-batch --set settings.mini_batch_size=20",
         (NAME, ENDPOINT_NAME, FILE, SET, NO_WAIT)),
    Verb("batch-deployment", "show", batch.batch_deployment_show, "Show a batch deployment.",
         "localep az ml batch-deployment show -n classifier -e my-batch", (NAME.needed(), ENDPOINT_NAME.needed())),
    Verb("batch-deployment", "list", batch.batch_deployment_list, "List a batch endpoint's deployments.",
         "localep az ml batch-deployment list -e my-batch -o table", (ENDPOINT_NAME.needed(),)),
    Verb("batch-deployment", "delete", batch.batch_deployment_delete, "Delete a batch deployment.",
         "localep az ml batch-deployment delete -n classifier -e my-batch --yes",
         (NAME.needed(), ENDPOINT_NAME.needed(), YES, NO_WAIT)),
    Verb("batch-deployment", "list-jobs", batch.batch_deployment_list_jobs, "List a batch deployment's jobs.",
         "localep az ml batch-deployment list-jobs -n classifier -e my-batch -o table",
         (NAME.needed(), ENDPOINT_NAME.needed())),
    Verb("job", "show", batch.job_show, "Show a batch job: status Running, Completed, Failed or Canceled.",
         "localep az ml job show -n JOB --query status -o tsv", (JOB_NAME,)),
    Verb("job", "list", batch.job_list, "List batch jobs, newest first.", "localep az ml job list -o table",
         (MAX_RESULTS,)),
    Verb("job", "stream", batch.job_stream, "Print a job's log until it ends (exit 1 unless it Completed).",
         "localep az ml job stream -n JOB", (JOB_NAME,)),
    Verb("job", "download", batch.job_download, "Download a job's output (named-outputs/score) or logs.",
         "localep az ml job download -n JOB --output-name score --download-path out/",
         (JOB_NAME, OUTPUT_NAME, DOWNLOAD_PATH, ALL_OUTPUTS)),
    Verb("job", "cancel", batch.job_cancel, "Cancel a running job (its containers are removed).",
         "localep az ml job cancel -n JOB", (JOB_NAME, NO_WAIT)),
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
