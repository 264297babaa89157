"""Send a request to a deployment and answer the way the cloud endpoint does, not the way the container does.

The cloud never shows a client the container's 500: it answers 424 and names the container's status in
headers; it answers 408 past request_timeout_ms and 429 past the deployment's capacity.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

from localep.gateway.body import Body
from localep.gateway.http1 import BadMessage, Headers
from localep.gateway.pool import DeploymentPool
from localep.gateway.upstream import NoAnswer, UpstreamAnswer, UpstreamTimeout, end_to_end, exchange

MODEL_ERROR_STATUS_HEADER = "ms-azureml-model-error-statuscode"
MODEL_ERROR_REASON_HEADER = "ms-azureml-model-error-reason"
MODEL_ERROR_REASON = "model_error"

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


UNAVAILABLE_HEADER = "x-localep-unavailable"


@dataclass(frozen=True)
class GatewayAnswer:
    status: int
    reason: str
    headers: Headers
    body: bytes
    error: Optional[str] = None  # why the endpoint failed the request, counted in stats


def json_answer(status: int, payload: object, headers: Sequence[Tuple[str, str]] = ()) -> GatewayAnswer:
    body = json.dumps(payload, indent=None, sort_keys=True).encode()
    return GatewayAnswer(status, REASONS.get(status, ""), [("Content-Type", "application/json"), *headers], body)


def text_answer(status: int, text: str) -> GatewayAnswer:
    return GatewayAnswer(status, REASONS.get(status, ""), [("Content-Type", "text/plain; charset=utf-8")], text.encode())


def error_answer(status: int, code: str, message: str, headers: Sequence[Tuple[str, str]] = ()) -> GatewayAnswer:
    answer = json_answer(status, {"error": {"code": code, "message": message}}, headers)
    return GatewayAnswer(answer.status, answer.reason, answer.headers, answer.body, error=code)


def model_answer(answer: UpstreamAnswer, raw_errors: bool) -> GatewayAnswer:
    headers = end_to_end(answer.headers)
    if any(name.lower() == UNAVAILABLE_HEADER for name, _ in headers):
        # localep's agent answering for a deployment whose code failed to load: the deployment is unavailable
        # (503, as the cloud answers for a deployment that is not ready), not a model error.
        return GatewayAnswer(answer.status, answer.reason, headers, answer.body, error="DeploymentUnavailable")
    if answer.status == 200 or raw_errors:
        error = None if answer.status == 200 else MODEL_ERROR_REASON
        return GatewayAnswer(answer.status, answer.reason, headers, answer.body, error=error)
    headers.append((MODEL_ERROR_STATUS_HEADER, str(answer.status)))
    headers.append((MODEL_ERROR_REASON_HEADER, MODEL_ERROR_REASON))
    return GatewayAnswer(424, REASONS[424], headers, answer.body, error=MODEL_ERROR_REASON)


async def call_deployment(
    pool: DeploymentPool, method: str, path: str, headers: Headers, body: Union[bytes, Body], raw_errors: bool,
    max_body_bytes: int
) -> GatewayAnswer:
    if not await pool.slots.acquire(pool.route.max_queue_wait_ms / 1000.0):
        return error_answer(
            429,
            "TooManyRequests",
            f"Deployment '{pool.name}' already has {pool.route.capacity} requests in flight "
            f"(2 x max_concurrent_requests_per_instance x instances) and none finished within "
            f"max_queue_wait_ms={pool.route.max_queue_wait_ms}.",
        )
    try:
        return await _call_instances(pool, method, path, headers, body, raw_errors, max_body_bytes)
    finally:
        pool.slots.release()


def unavailable(pool: DeploymentPool, code: str, why: str) -> GatewayAnswer:
    """What the cloud answers while no instance of a deployment can take requests: 503, at once."""
    return error_answer(503, code, f"Deployment '{pool.name}' is not available: {why}. "
                        "Retry shortly; see `localep ps` and `localep logs`.", [("Retry-After", "1")])


async def _call_instances(
    pool: DeploymentPool, method: str, path: str, headers: Headers, body: Union[bytes, Body], raw_errors: bool,
    max_body_bytes: int
) -> GatewayAnswer:
    candidates = pool.candidates()
    if not candidates:
        restarting = [i for i in pool.instances if i.restarting]
        if restarting:
            reason = restarting[0].exit_reason or "its container exited"
            return unavailable(pool, "DeploymentRestarting", f"its container is restarting ({reason})")
        return unavailable(pool, "DeploymentUnhealthy", "no instance is healthy: its liveness probe is failing")
    refused = []
    for instance in candidates:
        instance.in_flight += 1  # what autoscale measures, and what a draining instance waits for
        try:
            answer = await exchange(instance.address, method, path, [*headers, *instance.credential], body,
                                    pool.timeout_s, max_body_bytes)
            return model_answer(answer, raw_errors)
        except (ConnectionRefusedError, asyncio.TimeoutError):
            refused.append(instance.url)
        except NoAnswer:
            return unavailable(pool, "ModelUnreachable", f"{instance.url} closed the connection without answering "
                               "(its server is not up yet)")
        except UpstreamTimeout:
            return error_answer(
                408,
                "RequestTimeout",
                f"Deployment '{pool.name}' did not answer within request_timeout_ms={pool.route.request_timeout_ms}.",
            )
        except (OSError, BadMessage) as error:
            return error_answer(
                502,
                "ModelConnectionFailed",
                f"Deployment '{pool.name}' ({instance.url}) broke off the request: {type(error).__name__}: {error}",
            )
        finally:
            instance.in_flight -= 1
    return unavailable(pool, "ModelUnreachable",
                       f"connection refused by (or no answer to a connect from) {', '.join(refused)}; its container is "
                       "down or restarting")
