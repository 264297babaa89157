"""Who may call the endpoint: keys, locally signed aml tokens, and Entra ID (aad) tokens checked for shape.

A local endpoint cannot verify Entra ID signatures offline, so `aad_token` accepts an unexpired JWT issued
for the Azure ML audience (or a token from the local token route): clients exercise the same header and
refresh logic they will need in the cloud.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

from localep.gateway.config import Keys
from localep.protocol import AML_TOKEN_AUTH, KEY_AUTH, NO_AUTH

TOKEN_LIFETIME_S = 3600
AAD_AUDIENCES = ("https://ml.azure.com", "https://ml.azure.com/")


@dataclass(frozen=True)
class AuthDecision:
    allowed: bool
    reason: str = ""


ALLOWED = AuthDecision(True)


def bearer(authorization: Optional[str]) -> Optional[str]:
    if not authorization:
        return None
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    return credential if scheme.lower() == "bearer" and credential else None


def check_key(credential: Optional[str], keys: Keys) -> AuthDecision:
    if credential is None:
        return AuthDecision(False, "missing 'Authorization: Bearer <key>' header")
    for key in (keys.primary, keys.secondary):
        if key and hmac.compare_digest(credential.encode(), key.encode()):
            return ALLOWED
    return AuthDecision(False, "the key is neither the endpoint's primary nor its secondary key")


def issue_token(secret: str, endpoint: str, now: float, lifetime_s: float = TOKEN_LIFETIME_S) -> Dict[str, Any]:
    """What `az ml online-endpoint get-credentials` returns for aml_token endpoints."""
    expiry = int(now + lifetime_s)
    payload = _b64encode(json.dumps({"ep": endpoint, "exp": expiry}, separators=(",", ":")).encode())
    signature = _b64encode(_sign(secret, payload))
    return {
        "accessToken": f"{payload}.{signature}",
        "expiryTimeUtc": expiry,
        "refreshAfterTimeUtc": int(now + lifetime_s / 2),
        "tokenType": "Bearer",
    }


def check_local_token(credential: Optional[str], secret: str, endpoint: str, now: float) -> AuthDecision:
    if credential is None:
        return AuthDecision(False, "missing 'Authorization: Bearer <token>' header")
    payload, _, signature = credential.partition(".")
    try:
        signature_ok = hmac.compare_digest(_b64decode(signature), _sign(secret, payload))
        claims = json.loads(_b64decode(payload)) if signature_ok else {}
    except (ValueError, binascii.Error):
        return AuthDecision(False, "the token is malformed")
    if not signature_ok or not isinstance(claims, dict):
        return AuthDecision(False, "the token was not issued by this endpoint")
    if claims.get("ep") != endpoint:
        return AuthDecision(False, f"the token was issued for endpoint {claims.get('ep')!r}")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        return AuthDecision(False, "the token has expired; get a new one")
    return ALLOWED


def check_aad_token(credential: Optional[str], now: float) -> AuthDecision:
    if credential is None:
        return AuthDecision(False, "missing 'Authorization: Bearer <token>' header")
    parts = credential.split(".")
    if len(parts) != 3:
        return AuthDecision(False, "the token is not a JWT")
    try:
        claims = json.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error):
        return AuthDecision(False, "the token is not a JWT")
    if not isinstance(claims, dict) or claims.get("aud") not in AAD_AUDIENCES:
        return AuthDecision(False, f"the token's audience must be {AAD_AUDIENCES[0]}")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        return AuthDecision(False, "the token has expired; get a new one")
    return ALLOWED


def authorize(
    auth_mode: str, authorization: Optional[str], keys: Keys, secret: str, endpoint: str, now: Optional[float] = None
) -> AuthDecision:
    if auth_mode == NO_AUTH:
        return ALLOWED
    credential = bearer(authorization)
    if auth_mode == KEY_AUTH:
        return check_key(credential, keys)
    now = time.time() if now is None else now
    local = check_local_token(credential, secret, endpoint, now)
    if auth_mode == AML_TOKEN_AUTH or local.allowed:
        return local
    return check_aad_token(credential, now)


def _sign(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
