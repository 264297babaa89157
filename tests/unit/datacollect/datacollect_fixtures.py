"""Shared test data: what azureml-ai-monitoring's sender sends (a uniquely named module, like gateway_fixtures)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict

MOMENT = datetime(2024, 3, 7, 13, 45, 12, tzinfo=timezone.utc).timestamp()


def package_headers(correlation: str = "corr-1") -> Dict[str, str]:
    """The headers of one POST of MdcSender (azureml/ai/monitoring/worker/sender.py)."""
    return {"Content-Type": "application/json", "trace-id": "payload-id", "ce-time": str(int(MOMENT)),
            "ce-type": "azureml.inference.model_inputs", "ce-collect-data-type": "pandas.core.frame.DataFrame",
            "ce-agent": "azureml-ai-monitoring/1.0.0", "ce-x-request-id": correlation, "ce-model-version": "default"}
