"""Options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

import click

from localep.images.settings import DEFAULT_INSTALLER, INSTALLERS, PULL_POLICIES, BuildSettings, current_settings
from localep.yamlspec import load_project
from localep.yamlspec.model import Project
from localep.yamlspec.nocode import no_code_images
from localep.yamlspec.nocode_triton import TRITON_IMAGE_VARIABLE

SPEC_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, path_type=Path)
)


def spec_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--set", "overrides", multiple=True, metavar="KEY=VALUE",
        help="Override a deployment field, like az ml (e.g. --set instance_count=2).",
    )(func)
    func = click.option(
        "--endpoint", "endpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Endpoint YAML (default: endpoint.yml beside the deployment, else one named by endpoint_name).",
    )(func)
    return SPEC_FILES(func)


def build_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--installer", type=click.Choice(INSTALLERS), default=DEFAULT_INSTALLER, show_default=True,
        help="What installs the environment's pip packages: uv (fast, same requirement specs) or pip (the cloud's).",
    )(func)
    func = click.option(
        "--rebuild", is_flag=True,
        help="Build the environment image and its layers from scratch (downloads still come from the package cache).",
    )(func)
    func = click.option(
        "--pull", type=click.Choice(PULL_POLICIES), default="missing", show_default=True,
        help="When to pull the base image: only when it is not on this machine, always, or never.",
    )(func)
    func = click.option(
        "--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CA bundle for pip/conda inside the build (default: $PIP_CERT, $REQUESTS_CA_BUNDLE or $SSL_CERT_FILE).",
    )(func)
    return func


def triton_image_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--triton-image", metavar="IMAGE",
        help=f"Triton Inference Server image for triton_model deployments without code (default: ${TRITON_IMAGE_VARIABLE}, "
             "else NVIDIA's tritonserver image).",
    )(func)


def header_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-H", "--header", "headers", multiple=True, metavar="'NAME: VALUE'", callback=_parse_headers,
        help="Extra request header, e.g. -H 'Authorization: Bearer KEY' for a --url endpoint (repeatable).",
    )(func)


def _parse_headers(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> Dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: expected 'Name: value'")
        headers[name.strip()] = content.strip()
    return headers


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(func)


def load(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str],
         triton_image: Optional[str] = None) -> Project:
    return load_project(list(files), endpoint_file=endpoint_file, overrides=list(overrides),
                        images=no_code_images(os.environ, triton_image))


def build_settings(pull: str, ca_bundle: Optional[Path], rebuild: bool, installer: str = DEFAULT_INSTALLER
                   ) -> BuildSettings:
    return current_settings(ca_bundle=ca_bundle, pull=pull, rebuild=rebuild, installer=installer)
