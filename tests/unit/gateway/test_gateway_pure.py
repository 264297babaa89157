"""The gateway's pure decisions: routing draws, percentiles, credentials, config rules, HTTP framing."""

from __future__ import annotations

import base64
import json

import pytest

from localep.errors import SpecError
from localep.gateway import auth
from localep.gateway.config import (
    DeploymentRoute,
    Keys,
    check_mirror,
    check_traffic,
    config_from_dict,
    load_config,
    save_config,
    with_token_secret,
)
from localep.gateway.http1 import Limits, Rejection, allowed_hosts, check_head
from localep.gateway.routing import choose_deployment, mirror_pick, weighted_pick
from localep.gateway.stats import TrafficStats
from localep.gateway.upstream import end_to_end, parse_upstream
from localep.percentile import percentile

DEPLOYMENTS = {"blue": DeploymentRoute(["http://127.0.0.1:1"]), "green": DeploymentRoute(["http://127.0.0.1:2"])}


def test_weighted_pick_splits_draws_by_weight_and_skips_zero_weights():
    traffic = {"blue": 70, "zero": 0, "green": 30}
    picks = [weighted_pick(traffic, i / 1000) for i in range(1000)]
    assert picks.count("blue") == 700 and picks.count("green") == 300


def test_weighted_pick_treats_weights_summing_below_100_as_proportions():
    assert {weighted_pick({"blue": 10, "green": 10}, d) for d in (0.0, 0.49, 0.5, 0.99)} == {"blue", "green"}
    assert weighted_pick({"blue": 0}, 0.3) is None


def test_pinned_deployment_wins_even_at_zero_weight():
    choice = choose_deployment({"blue": 100, "green": 0}, DEPLOYMENTS, "green", 0.1)
    assert (choice.deployment, choice.pinned) == ("green", True)


def test_unknown_pin_is_404_naming_it_and_the_known_ones():
    choice = choose_deployment({"blue": 100}, DEPLOYMENTS, "red", 0.1)
    assert choice.deployment is None and choice.status == 404
    assert "'red'" in choice.message and "blue, green" in choice.message


def test_no_positive_weight_is_404():
    choice = choose_deployment({"blue": 0}, DEPLOYMENTS, None, 0.1)
    assert (choice.deployment, choice.status, choice.code) == (None, 404, "NoValidDeployments")


def test_mirror_pick_takes_its_share_only():
    picks = [mirror_pick({"green": 20}, i / 100) for i in range(100)]
    assert picks.count("green") == 20 and picks.count(None) == 80


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([], 50) is None


def test_stats_window_is_bounded_but_counts_are_not():
    stats = TrafficStats(window=10)
    for index in range(25):
        stats.record(500 if index % 5 == 0 else 200, float(index), "model_error" if index % 5 == 0 else None)
    snapshot = stats.snapshot()
    assert snapshot.requests == 25 and snapshot.errors == 5
    assert snapshot.status_counts == {"200": 20, "500": 5}
    assert snapshot.latency_ms.window == 10 and snapshot.latency_ms.p50 == 19.0


def test_keys_accept_primary_and_secondary_only():
    keys = Keys("first", "second")
    assert auth.check_key("first", keys).allowed and auth.check_key("second", keys).allowed
    assert not auth.check_key("third", keys).allowed
    assert not auth.check_key(None, keys).allowed
    assert not auth.check_key("", Keys("", "")).allowed


def test_bearer_parses_the_scheme_case_insensitively():
    assert auth.bearer("bearer abc") == "abc" and auth.bearer("Bearer  abc ") == "abc"
    assert auth.bearer("Basic abc") is None and auth.bearer(None) is None and auth.bearer("Bearer") is None


def test_local_tokens_expire_and_are_bound_to_secret_and_endpoint():
    token = auth.issue_token("secret", "ep", now=1000, lifetime_s=60)
    assert token["expiryTimeUtc"] == 1060 and token["refreshAfterTimeUtc"] == 1030 and token["tokenType"] == "Bearer"
    access = token["accessToken"]
    assert auth.check_local_token(access, "secret", "ep", now=1059).allowed
    assert "expired" in auth.check_local_token(access, "secret", "ep", now=1060).reason
    assert not auth.check_local_token(access, "other-secret", "ep", now=1000).allowed
    assert not auth.check_local_token(access, "secret", "other-ep", now=1000).allowed
    assert not auth.check_local_token(access[:-2] + "xx", "secret", "ep", now=1000).allowed
    assert not auth.check_local_token("garbage", "secret", "ep", now=1000).allowed


def _jwt(claims: dict) -> str:
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{encode({'alg': 'RS256'})}.{encode(claims)}.signature"


def test_aad_mode_accepts_unexpired_azure_ml_audience_jwts_and_local_tokens():
    keys = Keys("k", "k2")
    good = _jwt({"aud": "https://ml.azure.com", "exp": 2000})
    assert auth.authorize("aad_token", f"Bearer {good}", keys, "s", "ep", now=1000).allowed
    assert not auth.authorize("aad_token", f"Bearer {good}", keys, "s", "ep", now=2001).allowed
    wrong_audience = _jwt({"aud": "https://management.azure.com", "exp": 2000})
    assert not auth.authorize("aad_token", f"Bearer {wrong_audience}", keys, "s", "ep", now=1000).allowed
    local = auth.issue_token("s", "ep", now=1000)["accessToken"]
    assert auth.authorize("aad_token", f"Bearer {local}", keys, "s", "ep", now=1000).allowed
    assert not auth.authorize("aad_token", "Bearer k", keys, "s", "ep", now=1000).allowed


def test_aml_token_mode_rejects_keys_and_none_mode_accepts_anything():
    keys = Keys("k", "k2")
    assert not auth.authorize("aml_token", "Bearer k", keys, "s", "ep", now=0).allowed
    assert auth.authorize("none", None, keys, "s", "ep").allowed


def test_traffic_rules_follow_the_cloud():
    assert check_traffic({"blue": 60, "green": 40}, DEPLOYMENTS) == {"blue": 60, "green": 40}
    with pytest.raises(ValueError, match="110%"):
        check_traffic({"blue": 60, "green": 50}, DEPLOYMENTS)
    with pytest.raises(ValueError, match=r"'red'.*known: blue, green"):
        check_traffic({"red": 10}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="whole percentage"):
        check_traffic({"blue": 10.5}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="whole percentage"):
        check_traffic({"blue": -1}, DEPLOYMENTS)


def test_mirror_rules_follow_the_cloud():
    assert check_mirror({"green": 50, "blue": 0}, DEPLOYMENTS) == {"green": 50}
    with pytest.raises(ValueError, match="at most 50%"):
        check_mirror({"green": 51}, DEPLOYMENTS)
    with pytest.raises(ValueError, match="at most 1 may"):
        check_mirror({"green": 10, "blue": 10}, DEPLOYMENTS)


def test_config_round_trips_through_its_file_with_defaults_filled(tmp_path):
    config = config_from_dict(
        {
            "endpoint": "ep",
            "port": 8080,
            "keys": {"primary": "a", "secondary": "b"},
            "traffic": {"blue": 100},
            "deployments": {"blue": {"upstreams": ["http://127.0.0.1:5001"], "liveness": {"period": 3}}},
        }
    )
    route = config.deployments["blue"]
    assert (route.request_timeout_ms, route.max_concurrent_requests_per_instance, route.max_queue_wait_ms) == (
        5000,
        1,
        500,
    )
    assert route.liveness.period == 3 and route.liveness.failure_threshold == 30 and route.capacity == 2
    path = tmp_path / "gateway.json"
    save_config(config, path)
    assert load_config(path) == config


def test_bad_config_files_name_the_file_and_line(tmp_path):
    path = tmp_path / "gateway.json"
    path.write_text('{\n  "endpoint": "ep",\n  "port": 1,\n}\n')
    with pytest.raises(SpecError, match="not valid JSON") as error:
        load_config(path)
    assert error.value.location.file == path and error.value.location.line == 4
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "auth_mode": "password"}))
    with pytest.raises(SpecError, match="auth_mode must be one of"):
        load_config(path)
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "deployments": {"blue": {"upstreams": []}}}))
    with pytest.raises(SpecError, match="non-empty list"):
        load_config(path)
    path.write_text(json.dumps({"endpoint": "ep", "port": 1, "deployments": {"blue": {"upstream": ["x"]}}}))
    with pytest.raises(SpecError, match="unknown fields: upstream"):
        load_config(path)


def test_token_secret_is_generated_once():
    config = config_from_dict({"endpoint": "ep", "port": 1})
    assert config.token_secret == ""
    secured = with_token_secret(config)
    assert len(secured.token_secret) == 64 and with_token_secret(secured) is secured


def test_head_checks_keep_the_limits_llhttp_does_not():
    hosts = allowed_hosts(8080)
    target, headers, lookup = check_head(b"/score?x=1", [(b"Host", b"LOCALHOST:8080")], "1.1", Limits(), hosts)
    assert (target, headers, lookup) == ("/score?x=1", [("Host", "LOCALHOST:8080")], {"host": "LOCALHOST:8080"})
    rejected = [
        (b"/score", [(b"Host", b"evil.example:8080")]),
        (b"/score", []),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"Host", b"127.0.0.1:8080")]),
        (b"http://127.0.0.1:8080/score", [(b"Host", b"127.0.0.1:8080")]),
        (b"/sc\x01ore", [(b"Host", b"127.0.0.1:8080")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"X", b"a\rInjected: 1")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080"), (b"Transfer-Encoding", b"chunked, identity")]),
        (b"/score", [(b"Host", b"127.0.0.1:8080")] + [(b"X", b"y")] * 100),
    ]
    for raw_target, raw_headers in rejected:
        with pytest.raises(Rejection) as error:
            check_head(raw_target, raw_headers, "1.1", Limits(), hosts)
        assert error.value.status == 400
    assert check_head(b"/", [], "1.0", Limits(), hosts)[0] == "/"  # HTTP/1.0 may omit Host
    assert check_head(b"/", [(b"Host", b"anything")], "1.1", Limits(), None)[0] == "/"  # the control socket


def test_proxy_drops_hop_by_hop_and_framing_headers():
    headers = [("Connection", "keep-alive"), ("Content-Length", "3"), ("Host", "x"), ("X-Id", "1")]
    headers.append(("Authorization", "k"))
    assert end_to_end(headers, drop=("authorization",)) == [("X-Id", "1")]


def test_upstream_urls_must_be_http_with_a_port():
    assert parse_upstream("http://127.0.0.1:5001").port == 5001
    for bad in ("https://127.0.0.1:5001", "http://127.0.0.1"):
        with pytest.raises(ValueError, match="must look like"):
            parse_upstream(bad)
