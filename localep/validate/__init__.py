"""Static checks of endpoint specs (`localep validate`): no Docker, nothing imported from user code."""

from localep.validate.project import ValidationReport, validate_paths

__all__ = ["ValidationReport", "validate_paths"]
