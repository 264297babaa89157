"""Names the Azure ML online endpoint protocol fixes: one spelling each, imported by every layer."""

from __future__ import annotations

SCORING_PATH = "/score"
LIVENESS_PATH = "/"
SWAGGER_PATH = "/swagger.json"
# KServe v2 (Triton) routes: served at the endpoint root and under /score, forwarded upstream as /v2/...
KSERVE_PREFIX = "/v2"
DEPLOYMENT_HEADER = "azureml-model-deployment"

AZUREML_PROTOCOL = "azureml"
KSERVE_PROTOCOL = "kserve"
SERVER_PROTOCOLS = (AZUREML_PROTOCOL, KSERVE_PROTOCOL)
