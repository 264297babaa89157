# localep: the layer every non-BYOC image gets. It finds the environment's python, links it where localep runs
# it from, and installs the Azure ML inference server only when the environment lacks it (the cloud would fail).
RUN set -e; PY="$$(command -v python || command -v python3)"; mkdir -p /opt/localep; ln -sf "$$PY" /opt/localep/python; \
    if ! "$$PY" -c "import azureml_inference_server_http" 2>/dev/null; then \
      echo "LOCALEP_SERVER_ADDED"; \
      PIP_BREAK_SYSTEM_PACKAGES=1 "$$PY" -m pip install --no-cache-dir azureml-inference-server-http; \
    fi
