"""enable()'s method replacement on a stand-in class: local=True goes to localep, the rest to the original."""

from __future__ import annotations

import pytest

from localep.sdk import methods


class Operations:
    def get(self, name, *, local=False):
        return ("cloud", name, local)


def test_local_calls_are_routed_and_others_reach_the_original_untouched():
    original = Operations.__dict__["get"]
    seen = []
    methods.replace([(Operations, {"get": lambda name, **kwargs: seen.append((name, kwargs)) or "local"})])
    try:
        methods.replace([(Operations, {"get": lambda name, **kwargs: "twice"})])  # idempotent
        assert Operations().get("a", local=True) == "local" and seen == [("a", {})]
        assert Operations().get("b") == ("cloud", "b", False)
        assert Operations().get("c", local=False) == ("cloud", "c", False)
        assert methods.enabled()
    finally:
        methods.restore()
    assert Operations.__dict__["get"] is original and not methods.enabled()


@pytest.mark.parametrize("version, warns", [("1.26.0", False), ("1.35.2", False), ("1.30.1", False),
                                            ("1.25.9", True), ("1.36.0", True), ("2.0.0", True), ("unknown", True)])
def test_versions_outside_the_checked_range_warn(version, warns):
    warning = methods.version_warning(version)
    assert (warning is not None) == warns
    if warns:
        assert version in warning and "trying anyway" in warning
