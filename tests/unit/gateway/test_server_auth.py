"""Endpoint authentication as clients of the cloud meet it: keys, aml tokens, open liveness."""

from __future__ import annotations

import json
import time

from gateway_fixtures import Keys, call, control_call, make_config, route

from localep.gateway import auth


def _key_gateway(upstreams, gateways):
    blue = upstreams("blue")
    keys = Keys("primary-key", "secondary-key")
    config = make_config({"blue": route(blue.url)}, {"blue": 100}, auth_mode="key", keys=keys)
    return gateways(config), blue


def test_key_mode_wants_one_of_the_two_keys(upstreams, gateways):
    gateway, blue = _key_gateway(upstreams, gateways)
    assert call(gateway.port, body={"x": 1})[0] == 401
    status, headers, body = call(gateway.port, body={"x": 1}, headers={"Authorization": "Bearer wrong"})
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert json.loads(body)["error"]["code"] == "Unauthorized"
    assert call(gateway.port, headers={"Authorization": "Bearer primary-key"})[0] == 200
    assert call(gateway.port, headers={"Authorization": "Bearer secondary-key"})[0] == 200
    assert blue.hits == 2


def test_liveness_route_is_open_but_swagger_needs_the_key(upstreams, gateways):
    gateway, _ = _key_gateway(upstreams, gateways)
    assert call(gateway.port, "GET", "/")[0] == 200
    assert call(gateway.port, "GET", "/swagger.json")[0] == 401
    assert call(gateway.port, "GET", "/swagger.json", headers={"Authorization": "Bearer primary-key"})[0] == 200


def test_keys_can_be_rotated_live(upstreams, gateways):
    gateway, _ = _key_gateway(upstreams, gateways)
    status, _, _ = control_call(gateway, "PUT", "/__localep/keys", body={"primary": "new-key"})
    assert status == 200
    assert call(gateway.port, headers={"Authorization": "Bearer primary-key"})[0] == 401
    assert call(gateway.port, headers={"Authorization": "Bearer new-key"})[0] == 200
    assert call(gateway.port, headers={"Authorization": "Bearer secondary-key"})[0] == 200
    assert control_call(gateway, "PUT", "/__localep/keys", body={"primary": ""})[0] == 400


def test_aml_token_mode_issues_tokens_that_work_until_they_expire(upstreams, gateways):
    blue = upstreams("blue")
    config = make_config({"blue": route(blue.url)}, {"blue": 100}, auth_mode="aml_token", keys=Keys("k", "k2"))
    gateway = gateways(config)
    status, _, body = control_call(gateway, "POST", "/__localep/token")
    token = json.loads(body)
    assert status == 200 and set(token) == {"accessToken", "expiryTimeUtc", "refreshAfterTimeUtc", "tokenType"}
    assert token["expiryTimeUtc"] - time.time() > 3000
    assert call(gateway.port, headers={"Authorization": f"Bearer {token['accessToken']}"})[0] == 200
    assert call(gateway.port)[0] == 401
    assert call(gateway.port, headers={"Authorization": "Bearer k"})[0] == 401
    config = gateway.table.config
    expired = auth.issue_token(config.token_secret, config.endpoint, now=time.time() - 7200)["accessToken"]
    status, _, body = call(gateway.port, headers={"Authorization": f"Bearer {expired}"})
    assert status == 401 and "expired" in json.loads(body)["error"]["message"]


def test_token_route_refuses_key_endpoints(upstreams, gateways):
    gateway, _ = _key_gateway(upstreams, gateways)
    status, _, body = control_call(gateway, "POST", "/__localep/token")
    assert status == 400 and "auth_mode key" in json.loads(body)["error"]["message"]


def test_auth_none_checks_nothing(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}, auth_mode="none"))
    assert call(gateway.port, headers={"Authorization": "Bearer anything"})[0] == 200
    assert call(gateway.port)[0] == 200
