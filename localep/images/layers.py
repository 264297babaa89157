"""Layer planning: which package layers an environment needs, what runs in each, and the key that names it.

Every install runs in a container with one named volume (the package cache) mounted, and the result is committed
as an image layer: the classic builder that the docker SDK and Docker Desktop's engine API drive cannot mount a
cache into a RUN step, a container can, on any engine. A layer's key covers its parent's key, its script (and so
the installer and its version) and its files, so an unchanged prefix of layers is reused as it is.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping

from localep.images.kinds.base import ENVIRONMENT_PREFIX, PackageLayer
from localep.images.packagecache import CACHE_MOUNT

LAYER_REPOSITORY = "localep/env-layer"
WORK_DIR = "/tmp/localep"
UV_VERSION = "0.13.9"
# uv's words for "the index cannot be reached" (DNS, refused or reset connections, proxies, timeouts): only then
# does a build fall back to what the package cache holds, never for a requirement that does not resolve.
NETWORK_ERRORS = (
    "dns error|failed to lookup address|error sending request|client error \\(connect\\)|connection refused|"
    "network is unreachable|connection reset|operation timed out|tcp connect error|proxy error|tunnel"
)
PIP_FALLBACK_NOTICE = "localep: uv cannot be installed or run in this image; installing with pip instead"
OFFLINE_NOTICE = "localep: the package index cannot be reached; installing from the package cache only"
# pip/uv settings the host's environment may carry, as uv spells them.
UV_EQUIVALENTS = {"PIP_INDEX_URL": "UV_INDEX_URL", "PIP_EXTRA_INDEX_URL": "UV_EXTRA_INDEX_URL",
                  "PIP_TRUSTED_HOST": "UV_INSECURE_HOST"}

_COMMON = f"""set -e
C={CACHE_MOUNT}
. {WORK_DIR}/build-env.sh
export PIP_CACHE_DIR=$C/pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_WARN_SCRIPT_LOCATION=1
export CONDA_PKGS_DIRS=$C/conda/pkgs
HOST_PY="$(command -v python3 || command -v python || true)"
"""

_UV_SETUP = f"""export UV_CACHE_DIR=$C/uv UV_LINK_MODE=copy UV_NO_PROGRESS=1 UV_PYTHON_DOWNLOADS=never
UV_HOME=$C/tools/uv-{UV_VERSION}-$(uname -m)
UV=$UV_HOME/bin/uv
if [ ! -x "$UV" ]; then
  echo "localep: fetching uv {UV_VERSION} from the package index into the package cache (once)"
  T=$C/tools/.uv-$$
  rm -rf "$T"
  if PIP_BREAK_SYSTEM_PACKAGES=1 "$HOST_PY" -m pip install -q --target "$T" uv=={UV_VERSION} \
     || {{ "$HOST_PY" -m venv {WORK_DIR}/bootstrap \
           && {WORK_DIR}/bootstrap/bin/python -m pip install -q --target "$T" uv=={UV_VERSION}; }}; then
    if [ -e "$UV_HOME" ]; then rm -rf "$T"; else mv "$T" "$UV_HOME"; fi
  else
    rm -rf "$T"
  fi
fi
if [ ! -x "$UV" ] || ! "$UV" --version >/dev/null 2>&1; then
  echo "{PIP_FALLBACK_NOTICE}"
  UV=
fi
uv_or_cache() {{
  {{ set +e; "$UV" "$@" 2>&1; echo $? > {WORK_DIR}/status; }} | tee {WORK_DIR}/output
  status=$(cat {WORK_DIR}/status)
  if [ "$status" != 0 ] && grep -qiE '{NETWORK_ERRORS}' {WORK_DIR}/output; then
    echo "{OFFLINE_NOTICE}"
    export UV_OFFLINE=1
    "$UV" "$@"
    return
  fi
  return "$status"
}}
"""


@dataclass(frozen=True)
class PlannedLayer:
    layer: PackageLayer
    key: str
    script: str
    files: Dict[str, bytes]

    @property
    def tag(self) -> str:
        return f"{LAYER_REPOSITORY}:{self.key[:20]}"


def installer_fingerprint(installer: str) -> str:
    """What an environment image's key must cover of how its layers are installed (not of what they hold)."""
    return installer + "\0" + _COMMON + (_UV_SETUP if installer == "uv" else "")


def install_script(layer: PackageLayer, installer: str) -> str:
    """The /bin/sh script that installs `layer` with `installer` ("uv" or "pip") and cleans up after itself."""
    python = shlex.quote(layer.python)
    lines = [_COMMON]
    if installer == "uv" and (layer.requirements or layer.create_venv):
        lines.append(_UV_SETUP)
    if layer.conda and layer.conda_file is not None:
        lines.append(f"{shlex.quote(layer.conda)} env create --quiet -p {ENVIRONMENT_PREFIX} -f {WORK_DIR}/conda.yml\n")
    steps = []
    if layer.create_venv:
        steps.append((f'uv_or_cache venv --clear --seed --python "$HOST_PY" {ENVIRONMENT_PREFIX}',
                      f'"$HOST_PY" -m venv {ENVIRONMENT_PREFIX}'))
    if layer.requirements:
        steps.append((f"uv_or_cache pip install --compile-bytecode --python {python} -r {WORK_DIR}/requirements.txt",
                      f"{python} -m pip install -r {WORK_DIR}/requirements.txt"))
    for with_uv, with_pip in steps:
        # pip is uv's fallback where uv cannot be had (an exotic platform, no pip to fetch it with).
        lines.append(f'if [ -n "$UV" ]; then {with_uv}; else {with_pip}; fi\n' if installer == "uv"
                     else f"{with_pip}\n")
    lines.append(f"cd / && rm -rf {WORK_DIR}\n")
    return "".join(lines)


def finish_script(step: str) -> str:
    """The last step of an environment image (localep's server step), with the build's settings like a layer."""
    return f"{_COMMON}{step}\ncd / && rm -rf {WORK_DIR}\n"


def layer_files(layer: PackageLayer) -> Dict[str, bytes]:
    files: Dict[str, bytes] = {}
    if layer.requirements:
        files["requirements.txt"] = "".join(f"{line}\n" for line in layer.requirements).encode()
    if layer.conda_file is not None:
        files["conda.yml"] = layer.conda_file
    return files


def plan_layers(layers: Iterable[PackageLayer], parent_id: str, installer: str) -> List[PlannedLayer]:
    planned: List[PlannedLayer] = []
    parent = parent_id
    for layer in layers:
        script = install_script(layer, installer)
        files = layer_files(layer)
        digest = hashlib.sha256()
        for label, value in [("parent", parent.encode()), ("script", script.encode()),
                             *((f"file:{name}", content) for name, content in sorted(files.items()))]:
            digest.update(label.encode() + b"\0" + hashlib.sha256(value).digest())
        planned.append(PlannedLayer(layer=layer, key=digest.hexdigest(), script=script, files=files))
        parent = planned[-1].key
    return planned


def build_environment(build_args: Mapping[str, str], offline: bool = False) -> str:
    """build-env.sh: the build's proxy, CA and index settings (also in uv's spelling), sourced by the script and
    deleted before the commit, so none of them stays in the image. `offline`: a layer below found the index
    unreachable moments ago, so uv starts from the cache instead of retrying the network first."""
    variables = dict(build_args)
    if offline:
        variables["UV_OFFLINE"] = "1"
    for pip_name, uv_name in UV_EQUIVALENTS.items():
        if pip_name in variables and uv_name not in variables:
            variables[uv_name] = variables[pip_name]
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(variables.items()))
