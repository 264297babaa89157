from __future__ import annotations

import pytest

from deployment_documents import MINIMAL_DEPLOYMENT as MINIMAL
from localep.errors import SpecError
from localep.exitcodes import ExitCode
from localep.validate import validate_paths
from localep.yamlspec import load_deployment
from localep.yamlspec.datacollector import parse_datastore_path, parse_enabled

COLLECTOR = """data_collector:
  collections:
    model_inputs:
      enabled: {enabled}
    request:
      enabled: 'True'
      data:
        name: my-requests
        path: azureml://datastores/mystore/paths/logs/requests
        version: 2
  rolling_rate: day
  sampling_rate: 0.25
  request_logging:
    capture_headers: [x-custom]
"""


def spec_error(path):
    with pytest.raises(SpecError) as caught:
        load_deployment(path)
    assert caught.value.exit_code == ExitCode.SPEC
    return caught.value


def test_the_data_collector_is_typed(write):
    deployment = load_deployment(write("managed/dc.yml", MINIMAL + COLLECTOR.format(enabled="'False'")))
    collector = deployment.data_collector
    assert collector is not None
    assert (collector.rolling_rate, collector.sampling_rate, collector.capture_headers) == ("day", 0.25, ("x-custom",))
    inputs, request = collector.collections
    assert (inputs.name, inputs.enabled, inputs.payload, inputs.path) == ("model_inputs", False, False, None)
    assert inputs.folder("ep", "blue") == "modelDataCollector/ep/blue/model_inputs"
    assert (request.enabled, request.payload, request.datastore, request.path) == (True, True, "mystore", "logs/requests")
    assert (request.data_name, request.data_version) == ("my-requests", "2")
    assert collector.enabled() == (request,)


def test_no_data_collector_is_none(write):
    assert load_deployment(write("managed/none.yml", MINIMAL)).data_collector is None


@pytest.mark.parametrize("enabled", ["true", "'true'", "'TRUE'", "'yes'", "1", "'1'", "False"])
def test_enabled_takes_only_the_strings_True_and_False(write, enabled):
    path = write("managed/bad.yml", MINIMAL + COLLECTOR.format(enabled=enabled))
    error = spec_error(path)
    assert "data_collector.collections.model_inputs.enabled: expected the string 'True' or 'False'" in error.message
    assert (error.location.file, error.location.line) == (path, 15)
    found = [d for d in validate_paths([path]).diagnostics if "enabled" in d.message]
    assert [(d.location.line, d.message) for d in found] == [(15, error.message)]


def test_the_string_False_is_false():
    assert parse_enabled("False") is False and parse_enabled("True") is True


@pytest.mark.parametrize("path, expected", [
    ("azureml://datastores/workspaceblobstore/paths/a/b/", ("workspaceblobstore", "a/b")),
    ("azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/x", ("ds", "x")),
])
def test_datastore_paths(path, expected):
    assert parse_datastore_path(path) == expected


@pytest.mark.parametrize("path", ["azureml://datastores/ds/paths/../../etc", "https://x/y", "azureml://datastores/ds/paths/"])
def test_bad_datastore_paths_are_errors(write, path):
    text = MINIMAL + COLLECTOR.format(enabled="'True'").replace("azureml://datastores/mystore/paths/logs/requests", path)
    error = spec_error(write("managed/badpath.yml", text))
    assert "data_collector.collections.request.data.path" in error.message
    assert error.location.line == 20
