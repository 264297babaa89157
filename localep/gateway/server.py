"""The endpoint: one HTTP listener in front of an endpoint's deployments, answering like the cloud endpoint.

Every request reads one immutable `RoutingTable` (config + pools); a live change builds a new table and
swaps the reference, so in-flight requests finish on the table they started with and none is dropped.
Copies for mirroring and exchange recording go through bounded background queues, never the client's path.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from localep.gateway import auth
from localep.gateway.background import BackgroundQueue
from localep.gateway.config import GatewayConfig, save_config, with_token_secret
from localep.gateway.control import CONTROL_PREFIX, handle_control
from localep.gateway.dispatch import GatewayAnswer, call_deployment, error_answer
from localep.gateway.http1 import BadMessage, Headers, Message, encode_head, read_body, read_head
from localep.gateway.pool import DeploymentPool
from localep.gateway.probes import Prober, RestartCallback
from localep.gateway.routing import DEPLOYMENT_HEADER, choose_deployment, mirror_pick
from localep.gateway.stats import TrafficStats
from localep.gateway.upstream import end_to_end

log = logging.getLogger("localep.gateway")
access_log = logging.getLogger("localep.gateway.access")

LIVENESS_PATH = "/"
MIRROR_THREADS = 4
MIRROR_QUEUE = 256
EXCHANGE_QUEUE = 4096
CLIENT_IDLE_TIMEOUT_S = 300

ExchangeCallback = Callable[[Dict[str, Any]], None]
RecordOpener = Callable[[str], ExchangeCallback]


def record_to_exchange_log(path: str) -> ExchangeCallback:
    """Append exchanges to `path` in the replay format; imported lazily so the gateway starts without it."""
    from localep.exchanges import Exchange, ExchangeLog

    exchange_log = ExchangeLog(Path(path))

    def append(exchange: Dict[str, Any]) -> None:
        exchange_log.append(Exchange(**exchange))

    return append


@dataclass(frozen=True)
class RoutingTable:
    config: GatewayConfig
    pools: Mapping[str, DeploymentPool]
    recorder: Optional[ExchangeCallback] = None


@dataclass(frozen=True)
class ClientRequest:
    method: str
    path: str
    head: Message
    body: bytes


@dataclass(frozen=True)
class MirrorCopy:
    pool: DeploymentPool
    method: str
    path: str
    headers: Headers
    body: bytes


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        config_path: Optional[Path] = None,
        restart: Optional[RestartCallback] = None,
        on_exchange: Optional[ExchangeCallback] = None,
        open_record: RecordOpener = record_to_exchange_log,
    ) -> None:
        self.config_path = config_path
        self.started_at = time.time()
        self.mirror_stats = TrafficStats()
        self._on_exchange = on_exchange
        self._open_record = open_record
        self._prober = Prober(restart)
        self._change_lock = threading.RLock()
        self._mirror = BackgroundQueue("mirror", self._send_mirror_copy, MIRROR_THREADS, MIRROR_QUEUE)
        self._exchanges = BackgroundQueue("exchanges", self._deliver_exchange, 1, EXCHANGE_QUEUE)
        self.table = RoutingTable(config, {})
        self.httpd = GatewayHTTPServer((config.host, config.port), self)  # bind first: a taken port fails fast
        self.apply(with_token_secret(config))

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.table.config.host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def start(self) -> Gateway:
        """Serve from a daemon thread, leaving the caller's thread free (signal handling, tests)."""
        threading.Thread(target=self.serve_forever, name=f"gateway-{self.port}", daemon=True).start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._prober.stop()
        self._mirror.close(drain=False, timeout_s=1.0)
        self._exchanges.close(drain=True)

    # -- live changes -------------------------------------------------------------------------

    def apply(self, config: GatewayConfig) -> None:
        """Swap in `config`: unchanged deployments keep their pools (and health), changed ones get new pools."""
        with self._change_lock:
            old = self.table
            pools: Dict[str, DeploymentPool] = {}
            for name, route in config.deployments.items():
                current = old.pools.get(name)
                if current is not None and current.route == route:
                    pools[name] = current
                else:
                    pools[name] = DeploymentPool(name, route, current.stats if current else None)
            recorder = old.recorder
            if config.record_path != old.config.record_path or (config.record_path and recorder is None):
                recorder = self._open_record(config.record_path) if config.record_path else None
            if self.config_path is not None and config != old.config:
                save_config(config, self.config_path)
            self.table = RoutingTable(config, pools, recorder)
            self._prober.follow(pools.values())

    def change(self, edit: Callable[[GatewayConfig], GatewayConfig]) -> GatewayConfig:
        """Apply an edit of the current config atomically with respect to other edits."""
        with self._change_lock:
            config = edit(self.table.config)
            self.apply(config)
            return config

    # -- requests -----------------------------------------------------------------------------

    def serve(self, request: ClientRequest, table: RoutingTable) -> Tuple[GatewayAnswer, Optional[str]]:
        """The endpoint's answer to one client request, and the deployment that gave it."""
        config = table.config
        if not (request.method == "GET" and request.path == LIVENESS_PATH):
            decision = auth.authorize(
                config.auth_mode, request.head.get("authorization"), config.keys, config.token_secret, config.endpoint
            )
            if not decision.allowed:
                return error_answer(401, "Unauthorized", decision.reason, [("WWW-Authenticate", "Bearer")]), None
        choice = choose_deployment(config.traffic, table.pools, request.head.get(DEPLOYMENT_HEADER), random.random())
        if choice.deployment is None:
            return error_answer(choice.status, choice.code, choice.message), None
        forward = end_to_end(request.head.headers, drop=("authorization",))
        if not choice.pinned and config.mirror_traffic:
            mirror = mirror_pick(config.mirror_traffic, random.random())
            if mirror is not None and mirror != choice.deployment and mirror in table.pools:
                mirror_pool = table.pools[mirror]
                copy = MirrorCopy(mirror_pool, request.method, mirror_pool.route.upstream_path(request.path), forward,
                                  request.body)
                self._mirror.submit(copy)
        pool = table.pools[choice.deployment]
        answer = call_deployment(pool, request.method, pool.route.upstream_path(request.path), forward, request.body,
                                 config.raw_errors)
        return answer, pool.name

    def after_response(
        self,
        table: RoutingTable,
        request: ClientRequest,
        answer: GatewayAnswer,
        deployment: Optional[str],
        started: float,
        latency_ms: float,
    ) -> None:
        """Stats, the access log line and the exchange copy, against the table the request was served with."""
        pool = table.pools.get(deployment) if deployment else None
        if pool is not None:
            pool.stats.record(answer.status, latency_ms, answer.error)
        access_log.info(
            "%s %s deployment=%s status=%d latency_ms=%.2f%s",
            request.method,
            request.path,
            deployment or "-",
            answer.status,
            latency_ms,
            f" error={answer.error}" if answer.error else "",
        )
        if self._on_exchange is None and table.recorder is None:
            return
        self._exchanges.submit(
            (
                table.recorder,
                {
                    "time": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z",
                    "method": request.method,
                    "path": request.path,
                    "request_headers": dict(request.head.headers),
                    "request_body": request.body,
                    "status": answer.status,
                    "response_headers": dict(answer.headers),
                    "response_body": answer.body,
                    "latency_ms": latency_ms,
                    "deployment": deployment,
                },
            )
        )

    def _send_mirror_copy(self, copy: MirrorCopy) -> None:
        started = time.perf_counter()
        answer = call_deployment(copy.pool, copy.method, copy.path, copy.headers, copy.body, raw_errors=False)
        latency_ms = (time.perf_counter() - started) * 1000
        self.mirror_stats.record(answer.status, latency_ms, answer.error)
        access_log.info(
            "mirror %s %s deployment=%s status=%d latency_ms=%.2f%s",
            copy.method,
            copy.path,
            copy.pool.name,
            answer.status,
            latency_ms,
            f" error={answer.error}" if answer.error else "",
        )

    def _deliver_exchange(self, item: Tuple[Optional[ExchangeCallback], Dict[str, Any]]) -> None:
        recorder, exchange = item
        if self._on_exchange is not None:
            self._on_exchange(exchange)
        if recorder is not None:
            recorder(exchange)

    # -- state --------------------------------------------------------------------------------

    def state(self) -> Dict[str, Any]:
        table = self.table
        config = table.config.to_dict()
        config.pop("token_secret")
        mirror = next(iter(table.config.mirror_traffic), None)
        return {
            "pid": os.getpid(),
            "endpoint": table.config.endpoint,
            "url": self.url,
            "started_at": self.started_at,
            "config": config,
            "deployments": {
                name: {**pool.state(), "stats": pool.stats.snapshot()} for name, pool in table.pools.items()
            },
            "mirror": {
                "deployment": mirror,
                "stats": self.mirror_stats.snapshot(),
                "dropped": self._mirror.dropped,
                "pending": self._mirror.pending(),
            },
            "recording": {
                "path": table.config.record_path,
                "dropped": self._exchanges.dropped,
                "failed": self._exchanges.failed,
                "pending": self._exchanges.pending(),
            },
        }


class GatewayHTTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, ClientConnection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


def parse_request_line(line: str) -> Tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        raise BadMessage(f"not an HTTP/1.x request line: {line[:60]!r}")
    return parts[0], parts[1], parts[2]


def keeps_alive(version: str, head: Message) -> bool:
    connection = (head.get("connection") or "").lower()
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


def encode_answer(answer: GatewayAnswer, extra: Sequence[Tuple[str, str]], keep_alive: bool, with_body: bool) -> bytes:
    """Status line, headers and body as one buffer, sent in one write: no Nagle/delayed-ACK stall between them."""
    headers = [*answer.headers, *extra, ("Content-Length", str(len(answer.body)))]
    if not keep_alive:
        headers.append(("Connection", "close"))
    head = encode_head(f"HTTP/1.1 {answer.status} {answer.reason}", headers)
    return head + answer.body if with_body else head


class ClientConnection(socketserver.StreamRequestHandler):
    """One client connection: requests are served in order for as long as the client keeps it open."""

    disable_nagle_algorithm = True
    timeout = CLIENT_IDLE_TIMEOUT_S
    server: GatewayHTTPServer

    def handle(self) -> None:
        try:
            while self.serve_one():
                continue
        except (ConnectionError, socket.timeout):
            return  # the client went away or idled out; nothing is owed to it

    def serve_one(self) -> bool:
        """Serve the next request; False when the connection must close."""
        started_wall, started = time.time(), time.perf_counter()
        try:
            head = read_head(self.rfile)
            if head is None:
                return False
            method, path, version = parse_request_line(head.start_line)
            if (head.get("expect") or "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = read_body(self.rfile, head, until_close=False)
        except BadMessage as error:
            self.wfile.write(encode_answer(error_answer(400, "BadRequest", str(error)), (), False, True))
            return False
        request = ClientRequest(method, path, head, body)
        keep_alive = keeps_alive(version, head)
        gateway = self.server.gateway
        if path.startswith(CONTROL_PREFIX):
            answer = handle_control(gateway, method, path, body, self.client_address[0])
            self.wfile.write(encode_answer(answer, (), keep_alive, method != "HEAD"))
            return keep_alive
        table = gateway.table
        answer, deployment = gateway.serve(request, table)
        extra = [(DEPLOYMENT_HEADER, deployment)] if deployment else []
        self.wfile.write(encode_answer(answer, extra, keep_alive, method != "HEAD"))
        latency_ms = (time.perf_counter() - started) * 1000
        gateway.after_response(table, request, answer, deployment, started_wall, latency_ms)
        return keep_alive
