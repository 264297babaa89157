"""The agent's one-line explanations: egress cut, numpy binary mismatch; each said once."""

from __future__ import annotations

from localep.runtime.agent.hints import HINT_PREFIX, Hints

DTYPE_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/var/azureml-app/src/score.py", line 3, in <module>',
    '  File "/opt/venv/lib/python3.11/site-packages/sklearn/__check_build/__init__.py", line 48, in <module>',
    '  File "/opt/venv/lib/python3.11/site-packages/numpy/core/__init__.py", line 2, in <module>',
    "ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88",
]


def test_dtype_size_changed_names_the_package_and_numpy_once():
    hints = Hints(no_egress=False)
    said = [hint for hint in map(hints.explain, DTYPE_TRACEBACK + DTYPE_TRACEBACK) if hint]
    assert len(said) == 1 and said[0].startswith(HINT_PREFIX)
    assert "sklearn was built against an older numpy" in said[0] and "numpy<2" in said[0]


def test_outbound_failure_is_explained_only_when_egress_is_disabled():
    line = "urllib3.exceptions.NewConnectionError: Failed to establish a new connection: [Errno 101] Network is unreachable"
    assert Hints(no_egress=False).explain(line) is None
    hints = Hints(no_egress=True)
    assert "egress_public_network_access: disabled" in (hints.explain(line) or "")
    assert hints.explain(line) is None
