#!/usr/bin/env bash
# From a fresh machine to a scored request: Docker engine, localep, the example's base image, `localep up`.
# Without registry access, the example's base image is built locally from Debian packages (debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/docker-engine
[ -x .venv/bin/python ] || python3 -m venv --system-site-packages .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
localep() { .venv/bin/localep "$@"; }

base=mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
if ! docker image inspect "$base" >/dev/null 2>&1 && ! timeout 120 docker pull "$base" >/dev/null 2>&1; then
  echo "quickstart: $base cannot be pulled here; building a local stand-in from Debian packages" >&2
  .ci/base-image "$base"
fi

localep up examples/numpy-regression/blue-deployment.yml --detach
localep invoke numpy-regression --request-file examples/numpy-regression/sample-request.json
localep ps
echo "numpy-regression is running; stop it with: .venv/bin/localep down numpy-regression" >&2
