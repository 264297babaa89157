"""Dockerfile templates live in the repository's top-level templates/ folder; `localep/_templates` links to it
so that installed copies (wheels, pre-commit's environments) carry the templates too."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Dict

# ARGs (not ENV) so proxy, CA and index settings reach RUN steps without staying in the image's environment.
BUILD_ARGS = (
    "PIP_CERT",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "CONDA_SSL_VERIFY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "_templates"


@cache
def template_text(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    return string.Template(template_text(name)).substitute(values)


def dockerfile(base_image: str, *bodies: str) -> str:
    header = render(
        "header.Dockerfile",
        base_image=base_image,
        build_args="ARG " + " ".join(BUILD_ARGS),  # one step, not one per name: each step costs a container
    )
    return "".join([header, *bodies])


def all_templates() -> Dict[str, str]:
    """Every template's text, for the image cache key: a template change must rebuild."""
    return {path.name: template_text(path.name) for path in sorted(TEMPLATES_DIR.glob("*.Dockerfile"))}


def run_script(name: str) -> str:
    """The shell script of a template that is a single RUN instruction (comments aside), to run in a container."""
    lines = [line for line in render(name).splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines or not lines[0].startswith("RUN "):
        raise ValueError(f"{name} is not a single RUN instruction")
    return "\n".join([lines[0][len("RUN "):], *lines[1:]])
