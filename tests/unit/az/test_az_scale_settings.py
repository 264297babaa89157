"""`az ml online-deployment show` reports the YAML's scale_settings, not a hard-coded default."""

from __future__ import annotations

from pathlib import Path

from localep.az.online import scale_settings_document
from localep.yamlspec.model import Deployment, ScaleSettings


def test_target_utilization_is_shown_with_its_numbers():
    scaled = Deployment(name="blue", endpoint_name="ep", file=Path("blue.yml"), kind="kubernetes",
                        scale_settings=ScaleSettings(type="target_utilization", min_instances=1, max_instances=3,
                                                     polling_interval=5, target_utilization_percentage=60))
    assert scale_settings_document(scaled) == {"type": "target_utilization", "min_instances": 1, "max_instances": 3,
                                               "polling_interval": 5, "target_utilization_percentage": 60}
    assert scale_settings_document(None) == {"type": "default"}
