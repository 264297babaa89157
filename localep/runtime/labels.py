"""Container labels are localep's only state about running things, so any shell can find them."""

from __future__ import annotations

PREFIX = "localep."
MANAGED = PREFIX + "managed"
ENDPOINT = PREFIX + "endpoint"
DEPLOYMENT = PREFIX + "deployment"
INSTANCE = PREFIX + "instance"
SPEC_FILE = PREFIX + "spec-file"
CODE_DIR = PREFIX + "code-dir"
REMOTE_CODE_DIR = PREFIX + "remote-code-dir"
DEBUG_PORT = PREFIX + "debug-port"
SCORING_PATH = PREFIX + "scoring-path"
LIVENESS_PATH = PREFIX + "liveness-path"
SERVER_PORT = PREFIX + "server-port"
AGENT = PREFIX + "agent"
VERSION = PREFIX + "version"
BATCH_JOB = PREFIX + "batch-job"
INSTANCE_TYPE = PREFIX + "instance-type"  # the SKU whose CPU and memory the container got
DATA_COLLECTION = PREFIX + "data-collection"  # JSON: enabled collection -> its folder on the host
ROLE = PREFIX + "role"  # "gateway" on an endpoint's gateway container (deployment containers have none)
GATEWAY_ROLE = "gateway"
