from __future__ import annotations

from localep.runtime.agent.tracebacks import extract_traceback, script_line

LOG = """2026-11-25 10:22:10,744 E [6] azmlinfsrv - User's init function failed
2026-11-25 10:22:10,745 E [6] azmlinfsrv - Encountered Exception Traceback (most recent call last):
  File "/site-packages/azureml_inference_server_http/server/user_script.py", line 119, in invoke_init
    self._user_init()
  File "/var/azureml-app/src/score.py", line 15, in init
    raise RuntimeError("model file is corrupt")
RuntimeError: model file is corrupt

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/site-packages/azureml_inference_server_http/server/aml_blueprint.py", line 109, in setup
    self.user_script.invoke_init()
azureml_inference_server_http.server.user_script.UserScriptException: Caught an unhandled exception
2026-11-25 10:22:10,746 I [6] gunicorn.error - Worker exiting (pid: 6)""".splitlines()


def test_chained_traceback_is_kept_whole_and_ends_at_the_last_exception():
    text = extract_traceback(LOG)
    assert text.startswith("Traceback (most recent call last):")
    assert "RuntimeError: model file is corrupt" in text
    assert text.endswith("UserScriptException: Caught an unhandled exception")
    assert "Worker exiting" not in text


def test_script_line_is_the_innermost_frame_of_the_scoring_script():
    assert script_line(extract_traceback(LOG), "score.py") == 15
    assert script_line("no traceback", "score.py") is None


def test_no_traceback_gives_empty_text():
    assert extract_traceback(["just a line"]) == ""
