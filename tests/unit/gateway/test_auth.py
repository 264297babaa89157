"""Credentials: keys, bearer parsing, local and Entra ID tokens, per auth mode."""

from __future__ import annotations

import base64
import json

from localep.gateway import auth
from localep.gateway.config import (
    Keys,
)


def _jwt(claims: dict) -> str:
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{encode({'alg': 'RS256'})}.{encode(claims)}.signature"


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

