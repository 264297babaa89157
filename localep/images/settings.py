"""Build settings that come from the user's machine, not the YAML: proxy CA bundle, package index, pull policy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional

from localep.errors import BuildError
from localep.images.packagecache import DEFAULT_VOLUME, volume_name
from localep.images.templates import BUILD_ARGS

CA_BUNDLE_VARIABLES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
CA_IN_IMAGE = "/tmp/localep/ca.crt"
PULL_POLICIES = ("missing", "always", "never")
# uv resolves the same requirement specs as pip, several times faster; pip stays for exact parity with the cloud.
INSTALLERS = ("uv", "pip")
DEFAULT_INSTALLER = "uv"


@dataclass(frozen=True)
class BuildSettings:
    pull: str = "missing"
    ca_bundle: Optional[Path] = None
    rebuild: bool = False
    installer: str = DEFAULT_INSTALLER
    package_cache: str = DEFAULT_VOLUME
    passthrough: Dict[str, str] = field(default_factory=dict)

    def build_args(self) -> Dict[str, str]:
        args = dict(self.passthrough)
        if self.ca_bundle:
            for name in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CONDA_SSL_VERIFY"):
                args[name] = CA_IN_IMAGE
        return args


def settings_from_environment(
    environ: Mapping[str, str], ca_bundle: Optional[Path] = None, pull: str = "missing", rebuild: bool = False,
    installer: str = DEFAULT_INSTALLER,
) -> BuildSettings:
    """`--ca-bundle` wins; otherwise the first of PIP_CERT / REQUESTS_CA_BUNDLE / SSL_CERT_FILE that exists."""
    if ca_bundle is None:
        for variable in CA_BUNDLE_VARIABLES:
            candidate = environ.get(variable)
            if candidate and Path(candidate).is_file():
                ca_bundle = Path(candidate)
                break
    elif not ca_bundle.is_file():
        raise BuildError(f"--ca-bundle {ca_bundle}: no such file")
    ca_variables = set(CA_BUNDLE_VARIABLES) | {"CONDA_SSL_VERIFY"}
    passthrough = {
        name: environ[name] for name in BUILD_ARGS if name not in ca_variables and environ.get(name)
    }
    return BuildSettings(pull=pull, ca_bundle=ca_bundle, passthrough=passthrough, rebuild=rebuild, installer=installer,
                         package_cache=volume_name(environ))


def current_settings(ca_bundle: Optional[Path] = None, pull: str = "missing", rebuild: bool = False,
                     installer: str = DEFAULT_INSTALLER) -> BuildSettings:
    return settings_from_environment(os.environ, ca_bundle, pull, rebuild, installer)
