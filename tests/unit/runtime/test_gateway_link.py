"""The runtime's view of the gateway: shares for deployments not running, and routes from instances."""

from __future__ import annotations

from types import SimpleNamespace

from localep.images.kinds.base import INFERENCE_SERVER, ServerSpec
from localep.progress import Reporter
from localep.runtime.gateway_link import known_shares, routes_of
from localep.runtime.plan import DEBUG_TIMEOUT_MS
from localep.yamlspec.model import Deployment, Probe, RequestSettings


def _instance(tmp_path, name, port, server=INFERENCE_SERVER, labels=None):
    deployment = Deployment(name=name, endpoint_name="ep", file=tmp_path / f"{name}.yml", kind="managed",
                            request_settings=RequestSettings(request_timeout_ms=1200,
                                                             max_concurrent_requests_per_instance=3),
                            liveness_probe=Probe(period=4, failure_threshold=5))
    plan = SimpleNamespace(name=f"localep-ep-{name}-{port}", server=server, labels=labels or {})
    return SimpleNamespace(deployment=deployment, base_url=f"http://127.0.0.1:{port}",
                           upstream_url=f"http://127.0.0.1:{port}", plan=plan)


def test_shares_for_deployments_not_running_are_left_out_with_a_warning(tmp_path):
    stream = (tmp_path / "err").open("w")
    shares = known_shares({"blue": 70, "green": 30}, ["blue"], "traffic", Reporter(stream=stream))
    stream.close()
    assert shares == {"blue": 70}
    assert "traffic names green, not running here" in (tmp_path / "err").read_text()


def test_routes_carry_request_settings_probes_instances_and_byoc_paths(tmp_path):
    byoc = ServerSpec(port=8080, scoring_path="/predict", liveness_path="/health")
    routes = routes_of([_instance(tmp_path, "blue", 1), _instance(tmp_path, "blue", 2),
                        _instance(tmp_path, "green", 3, server=byoc, labels={"localep.debug-port": "5678"})])
    blue, green = routes["blue"], routes["green"]
    assert blue.upstreams == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert (blue.request_timeout_ms, blue.max_concurrent_requests_per_instance, blue.capacity) == (1200, 3, 12)
    assert (blue.liveness.period, blue.liveness.failure_threshold, blue.scoring_path) == (4, 5, "/score")
    assert (green.scoring_path, green.liveness.path) == ("/predict", "/health")
    assert green.request_timeout_ms == DEBUG_TIMEOUT_MS, "a paused breakpoint must not become a 408"
    assert (blue.protocol, green.protocol) == ("azureml", "azureml")


def test_a_kserve_server_makes_a_kserve_route(tmp_path):
    triton = ServerSpec(port=8000, liveness_path="/v2/health/live", protocol="kserve")
    route = routes_of([_instance(tmp_path, "triton", 1, server=triton)])["triton"]
    assert (route.protocol, route.liveness.path) == ("kserve", "/v2/health/live")

