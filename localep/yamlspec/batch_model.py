"""Typed view of Azure ML batch deployment and batch endpoint YAML, with the cloud's defaults.

A BatchDeployment carries the same model, code_configuration and environment as an online Deployment, so
image builds, mounts and local-file checks (typed against `DeploymentAssets`) serve both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

from localep.errors import Location
from localep.protocol import AAD_TOKEN_AUTH
from localep.yamlspec.model import BATCH_KIND, CodeConfiguration, Environment, Model, locate

APPEND_ROW = "append_row"
SUMMARY_ONLY = "summary_only"
OUTPUT_ACTIONS = (APPEND_ROW, SUMMARY_ONLY)
LOGGING_LEVELS = ("warning", "info", "debug")
DEFAULT_OUTPUT_FILE_NAME = "predictions.csv"
MODEL_FORM = "model"  # `type: model` with a `settings:` block
FLAT_FORM = "flat"  # the legacy form: no type, the settings at the top level


@dataclass(frozen=True)
class RetrySettings:
    max_retries: int = 3
    timeout: int = 30  # seconds per run() call


@dataclass(frozen=True)
class BatchSettings:
    """The batch knobs, wherever the YAML put them (`settings:` or the top level of the legacy form)."""

    max_concurrency_per_instance: int = 1
    mini_batch_size: int = 10
    output_action: str = APPEND_ROW
    output_file_name: str = DEFAULT_OUTPUT_FILE_NAME
    retry_settings: RetrySettings = field(default_factory=RetrySettings)
    error_threshold: int = -1
    logging_level: str = "info"
    environment_variables: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchDeployment:
    name: str
    endpoint_name: str
    file: Path
    form: str  # MODEL_FORM | FLAT_FORM
    model: Optional[Model] = None
    code_configuration: Optional[CodeConfiguration] = None
    environment: Optional[Environment] = None
    compute: Optional[str] = None
    instance_count: int = 1
    instance_type: Optional[str] = None  # resources.instance_type: the SKU whose CPU and memory each container gets
    settings: BatchSettings = field(default_factory=BatchSettings)
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    lines: Dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return BATCH_KIND

    @property
    def environment_variables(self) -> Dict[str, str]:
        return self.settings.environment_variables

    def location(self, dotted_key: str = "") -> Location:
        return locate(self.file, self.lines, dotted_key)

    def settings_key(self, name: str) -> str:
        """Where a setting is written in this form: `settings.mini_batch_size` or `mini_batch_size`."""
        return f"settings.{name}" if self.form == MODEL_FORM else name


@dataclass(frozen=True)
class BatchEndpoint:
    name: str
    file: Path
    auth_mode: str = AAD_TOKEN_AUTH
    default_deployment: Optional[str] = None
    description: Optional[str] = None
    tags: Dict[str, str] = field(default_factory=dict)
    lines: Dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def location(self, dotted_key: str = "") -> Location:
        return locate(self.file, self.lines, dotted_key)

