"""Names the Azure ML online endpoint protocol fixes: one spelling each, imported by every layer."""

from __future__ import annotations

SCORING_PATH = "/score"
LIVENESS_PATH = "/"
SWAGGER_PATH = "/swagger.json"
# KServe v2 (Triton) routes: served at the endpoint root and under /score, forwarded upstream as /v2/...
KSERVE_PREFIX = "/v2"
DEPLOYMENT_HEADER = "azureml-model-deployment"
# What the endpoint adds to every request it sends a deployment container, which answers nothing without it (another
# local user can reach a container's bridge address). The in-container agent and gate spell it themselves.
UPSTREAM_SECRET_HEADER = "X-Localep-Upstream-Secret"

# An endpoint's `auth_mode` (the YAML's canonical spelling); the gateway adds NO_AUTH for `up --no-auth`.
KEY_AUTH = "key"
AML_TOKEN_AUTH = "aml_token"
AAD_TOKEN_AUTH = "aad_token"
NO_AUTH = "none"
ENDPOINT_AUTH_MODES = (KEY_AUTH, AML_TOKEN_AUTH, AAD_TOKEN_AUTH)
TOKEN_AUTH_MODES = (AML_TOKEN_AUTH, AAD_TOKEN_AUTH)
BATCH_AUTH_MODES = (AAD_TOKEN_AUTH,)  # batch endpoints take Entra ID tokens only

AZUREML_PROTOCOL = "azureml"
KSERVE_PROTOCOL = "kserve"
SERVER_PROTOCOLS = (AZUREML_PROTOCOL, KSERVE_PROTOCOL)
