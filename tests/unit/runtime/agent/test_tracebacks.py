"""Reading tracebacks: what the 503 answer says about a crash (server output captured from
azureml-inference-server-http 1.5.1), and the traceback `up` shows when a container exits."""

from __future__ import annotations

import json

from localep.runtime.agent.agent import exit_code_of, unavailable_body
from localep.runtime.agent.tracebacks import Failure, describe_failure, extract_traceback, script_line

SITE = "/azureml-envs/localep/lib/python3.11/site-packages/azureml_inference_server_http/server"

SYNTAX_ERROR_ON_IMPORT = f"""\
2026-11-25 10:15:29,858 W [16073] azmlinfsrv.trace - Model directory is not set or does not exist:
2026-11-25 10:15:29,859 E [16073] azmlinfsrv - Traceback (most recent call last):
  File "{SITE}/user_script.py", line 77, in load_script
    main_module_spec.loader.exec_module(user_module)
  File "<frozen importlib._bootstrap_external>", line 936, in exec_module
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
  File "/var/azureml-app/src/score.py", line 2
    print("init v2"
         ^
SyntaxError: '(' was never closed

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{SITE}/aml_blueprint.py", line 91, in setup
    self.user_script.load_script(config.app_root)
  File "{SITE}/user_script.py", line 79, in load_script
    raise UserScriptImportException(ex) from ex
azureml_inference_server_http.server.user_script.UserScriptImportException: Failed to import user script because \
it raised an unhandled exception

2026-11-25 10:15:29,859 I [16073] gunicorn.error - Worker exiting (pid: 16073)
2026-11-25 10:15:29,956 E [15965] gunicorn.error - Worker (pid:16073) exited with code 3.
2026-11-25 10:15:29,957 E [15965] gunicorn.error - Shutting down: Master
2026-11-25 10:15:29,957 E [15965] gunicorn.error - Reason: Worker failed to boot.
""".splitlines()

FAILING_INIT = f"""\
2026-11-25 10:21:59,802 E [28227] azmlinfsrv - Encountered Exception Traceback (most recent call last):
  File "{SITE}/user_script.py", line 119, in invoke_init
    self._user_init()
  File "/var/azureml-app/src/score.py", line 5, in init
    model = load(os.environ["AZUREML_MODEL_DIR"])
  File "/var/azureml-app/src/loading.py", line 9, in load
    return json.load(handle)
  File "/usr/lib/python3.11/json/__init__.py", line 293, in load
    return loads(fp.read(),
json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{SITE}/user_script.py", line 121, in invoke_init
    raise UserScriptException(ex) from ex
azureml_inference_server_http.server.user_script.UserScriptException: Caught an unhandled exception from the user script

2026-11-25 10:22:00,049 E [28201] gunicorn.error - Reason: Worker failed to boot.
""".splitlines()

MISSING_SCRIPT = f"""\
2026-11-25 10:22:02,896 E [28397] azmlinfsrv - Traceback (most recent call last):
  File "{SITE}/user_script.py", line 77, in load_script
    main_module_spec.loader.exec_module(user_module)
  File "<frozen importlib._bootstrap_external>", line 1130, in get_data
FileNotFoundError: [Errno 2] No such file or directory: '/var/azureml-app/src/nope.py'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{SITE}/user_script.py", line 79, in load_script
    raise UserScriptImportException(ex) from ex
azureml_inference_server_http.server.user_script.UserScriptImportException: Failed to import user script
""".splitlines()

ERROR_WHILE_HANDLING = """\
Traceback (most recent call last):
  File "/app/score.py", line 3, in init
    open("/missing")
FileNotFoundError: [Errno 2] No such file or directory: '/missing'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/score.py", line 5, in init
    raise RuntimeError("no model")
RuntimeError: no model
""".splitlines()


def test_names_the_syntax_error_not_the_server_wrapper():
    assert describe_failure(SYNTAX_ERROR_ON_IMPORT) == Failure(
        detail="SyntaxError: '(' was never closed", location="/var/azureml-app/src/score.py:2"
    )


def test_locates_a_failing_init_in_the_users_code_not_the_stdlib():
    assert describe_failure(FAILING_INIT) == Failure(
        detail="json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
        location="/var/azureml-app/src/loading.py:9",
    )


def test_leaves_out_the_location_when_no_frame_is_the_users():
    assert describe_failure(MISSING_SCRIPT) == Failure(
        detail="FileNotFoundError: [Errno 2] No such file or directory: '/var/azureml-app/src/nope.py'"
    )


def test_an_error_raised_while_handling_another_is_the_one_reported():
    expected = Failure(detail="RuntimeError: no model", location="/app/score.py:5")

    assert describe_failure(ERROR_WHILE_HANDLING) == expected


def test_the_last_traceback_wins():
    earlier_crash = ["Traceback (most recent call last):", '  File "/app/score.py", line 8, in run', "KeyError: 'x'"]

    assert describe_failure(earlier_crash + SYNTAX_ERROR_ON_IMPORT).detail == "SyntaxError: '(' was never closed"


def test_without_a_traceback_the_last_line_is_the_detail():
    lines = ["Listening at: http://0.0.0.0:5001 (7)", "Killed", "", "  "]

    assert describe_failure(lines) == Failure(detail="Killed")


def test_503_body_carries_detail_location_and_exit_code():
    body = json.loads(unavailable_body(Failure("SyntaxError: invalid syntax", "/app/score.py:3"), 3))

    assert body == {
        "error": "scoring script failed to load",
        "detail": "SyntaxError: invalid syntax",
        "location": "/app/score.py:3",
        "exit_code": 3,
        "hint": "fix the code and save; localep reloads it",
    }


def test_503_body_without_location_has_no_location_key():
    assert "location" not in json.loads(unavailable_body(Failure("Killed"), 137))


def test_a_signal_death_is_reported_as_128_plus_the_signal():
    assert exit_code_of(9) == 137
    assert exit_code_of(3 << 8) == 3


CHAINED_LOG = """2026-11-25 10:22:10,744 E [6] azmlinfsrv - User's init function failed
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
    text = extract_traceback(CHAINED_LOG)
    assert text.startswith("Traceback (most recent call last):")
    assert "RuntimeError: model file is corrupt" in text
    assert text.endswith("UserScriptException: Caught an unhandled exception")
    assert "Worker exiting" not in text


def test_script_line_is_the_innermost_frame_of_the_scoring_script():
    assert script_line(extract_traceback(CHAINED_LOG), "score.py") == 15
    assert script_line("no traceback", "score.py") is None


def test_no_traceback_gives_empty_text():
    assert extract_traceback(["just a line"]) == ""
