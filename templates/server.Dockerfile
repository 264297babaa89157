# localep: the layer every non-BYOC image gets. It finds the environment's python and puts a wrapper where localep
# runs it from (a wrapper, not a symlink, so a venv's python still finds its venv); it installs the Azure ML
# inference server only when the environment lacks it (the cloud would fail without it).
RUN set -e; PY="$$(command -v python || command -v python3)"; mkdir -p /opt/localep; \
    printf '#!/bin/sh\nexec %s "$$@"\n' "$$PY" > /opt/localep/python; chmod 755 /opt/localep/python; \
    if ! "$$PY" -c "import azureml_inference_server_http" 2>/dev/null; then \
      echo "LOCALEP_SERVER_ADDED"; \
      PIP_BREAK_SYSTEM_PACKAGES=1 "$$PY" -m pip install --no-cache-dir azureml-inference-server-http; \
    fi
