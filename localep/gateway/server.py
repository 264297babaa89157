"""The endpoint: one asyncio listener in front of an endpoint's deployments, answering like the cloud endpoint.

Every request reads one immutable `RoutingTable` (config + pools); a live change builds a new table and
swaps the reference, so in-flight requests finish on the table they started with and none is dropped.
Requests are parsed by llhttp (`http1`); the head is checked (limits, Host, route, credential) before a byte
of the body is kept, so an unauthenticated upload is answered 401 at once and never buffered.
The endpoint port serves only the cloud's routes; changes come through the control socket (`control`),
a Unix socket in the endpoint's private state folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import stat
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Deque, Dict, FrozenSet, List, Mapping, Optional, Tuple

import httptools

from localep.datacollect.payload import PayloadExchange, PayloadLog, PayloadLogging
from localep.exchanges import redact_target
from localep.fileio import make_dirs
from localep.gateway import auth
from localep.gateway.background import BackgroundQueue
from localep.gateway.body import Body
from localep.gateway.config import GatewayConfig, Keys, save_config, with_token_secret
from localep.gateway.control import handle_control
from localep.gateway.debugbridge import DebugBridges, StreamOpener
from localep.gateway.dispatch import GatewayAnswer, call_deployment, error_answer, text_answer
from localep.gateway.http1 import Headers, Limits, Rejection, RequestHead, allowed_hosts, check_head, encode_head
from localep.gateway.pool import DeploymentPool
from localep.gateway.probes import Prober, RestartCallback
from localep.gateway.routing import choose_deployment, mirror_pick
from localep.gateway.stats import TrafficStats
from localep.gateway.status import Connections, GatewayStatus, MirrorStatus, RecordingStatus
from localep.gateway.unixaddress import unix_socket_address
from localep.gateway.upstream import end_to_end
from localep.protocol import (
    DEPLOYMENT_HEADER,
    KSERVE_PREFIX,
    KSERVE_PROTOCOL,
    LIVENESS_PATH,
    SCORING_PATH,
    SWAGGER_PATH,
    UPSTREAM_SECRET_HEADER,
)

log = logging.getLogger("localep.gateway")
access_log = logging.getLogger("localep.gateway.access")

SUPERVISOR_ENV = "LOCALEP_GATEWAY_SUPERVISOR"  # the supervisor's pid, set for the gateway it runs
MIRROR_PENDING = 256
EXCHANGE_QUEUE = 4096
LISTEN_BACKLOG = 1024
REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_LIMIT = 100  # the inference server answers 431 to longer ids

ExchangeCallback = Callable[[Dict[str, Any]], None]
RecordOpener = Callable[[str], ExchangeCallback]


def record_to_exchange_log(path: str) -> ExchangeCallback:
    """Append exchanges to `path` in the replay format; imported lazily so the gateway starts without it."""
    from localep.exchanges import Exchange, ExchangeLog

    exchange_log = ExchangeLog(Path(path))

    def append(exchange: Dict[str, Any]) -> None:
        exchange_log.append(Exchange(**exchange))

    return append


def route_kind(method: str, target: str) -> Optional[str]:
    """Which of the cloud's routes a request is for; None for anything else (404 without forwarding)."""
    path = target.split("?", 1)[0]
    if path == SCORING_PATH:
        return "score"
    if path == LIVENESS_PATH:
        return "liveness" if method in ("GET", "HEAD") else None
    if path == SWAGGER_PATH:
        return "swagger" if method in ("GET", "HEAD") else None
    if path.startswith(KSERVE_PREFIX + "/") or path.startswith(SCORING_PATH + KSERVE_PREFIX + "/"):
        return "kserve"
    return None


@dataclass(frozen=True)
class RoutingTable:
    config: GatewayConfig
    pools: Mapping[str, DeploymentPool]
    recorder: Optional[ExchangeCallback] = None


@dataclass(frozen=True)
class ClientRequest:
    method: str
    path: str
    head: RequestHead
    body: Body
    kind: str = "score"
    started: float = 0.0  # perf_counter at its first byte
    started_wall: float = 0.0
    authenticated: bool = True  # it carried a valid credential (a keyless liveness request does not)
    request_id: str = ""  # the client's x-request-id, else a new one: forwarded, answered and logged


def request_id_of(head: RequestHead) -> str:
    given = head.get(REQUEST_ID_HEADER)
    return given if given and len(given) <= REQUEST_ID_LIMIT else str(uuid.uuid4())


def request_id_header(headers: List[Tuple[str, str]], request_id: str) -> List[Tuple[str, str]]:
    """x-request-id for the client unless the answer has it (the server echoes it; the endpoint's own answers and
    other servers' lack it)."""
    if any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
        return []
    return [(REQUEST_ID_HEADER, request_id)]


def exchange_record(request: ClientRequest, answer: GatewayAnswer, deployment: Optional[str], started: float,
                    latency_ms: float) -> Dict[str, Any]:
    """The exchange as `record` and `--on-exchange` get it (the replay format's fields)."""
    return {
        "time": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z",
        "method": request.method,
        "path": request.path,
        "request_headers": dict(request.head.headers),
        "request_body": request.body.read(),
        "status": answer.status,
        "response_headers": dict(answer.headers),
        "response_body": answer.body,
        "latency_ms": latency_ms,
        "deployment": deployment,
    }


def encode_answer(answer: GatewayAnswer, extra: List[Tuple[str, str]], keep_alive: bool, with_body: bool) -> bytes:
    """Status line, headers and body as one buffer, sent in one write: no Nagle/delayed-ACK stall between them."""
    headers = [*answer.headers, *extra, ("Content-Length", str(len(answer.body)))]
    if not keep_alive:
        headers.append(("Connection", "close"))
    head = encode_head(f"HTTP/1.1 {answer.status} {answer.reason}", headers)
    return head + answer.body if with_body else head


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        config_path: Optional[Path] = None,
        restart: Optional[RestartCallback] = None,
        on_exchange: Optional[ExchangeCallback] = None,
        open_record: RecordOpener = record_to_exchange_log,
        limits: Optional[Limits] = None,
        debug_streams: Optional[StreamOpener] = None,
    ) -> None:
        self.config_path = config_path
        self.limits = limits or Limits()
        self.started_at = time.time()
        self.mirror_stats = TrafficStats()
        self.mirror_dropped = 0
        self.mirror_pending = 0
        self.open_connections = 0
        self.refused_connections = 0
        self.evicted_connections = 0
        self.clients: Dict[ClientConnection, None] = {}  # open client connections, oldest first
        self._on_exchange = on_exchange
        self._open_record = open_record
        self._prober = Prober(restart)
        self._change_lock = threading.RLock()
        self._exchanges = BackgroundQueue("exchanges", self._deliver_exchange, 1, EXCHANGE_QUEUE)
        self._payload_log = PayloadLog()
        self.table = RoutingTable(config, {})
        self.loop = asyncio.new_event_loop()
        self._thread: Optional[threading.Thread] = None
        self._servers: List[asyncio.AbstractServer] = []
        self._listener = self._bind_port(config)  # bind first: a taken port fails fast
        self.hosts: FrozenSet[str] = allowed_hosts(self.port)
        self._control_listener = self._bind_control(config.control_socket) if config.control_socket else None
        # Debug bridges live beside the control socket, in the endpoint's private folder.
        self.debug_bridges = DebugBridges(Path(config.control_socket).parent, debug_streams) \
            if debug_streams is not None and config.control_socket else None
        self.apply(with_token_secret(config))

    @staticmethod
    def _bind_port(config: GatewayConfig) -> socket.socket:
        listener = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((config.host, config.port))
            listener.listen(LISTEN_BACKLOG)
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        return listener

    @staticmethod
    def _bind_control(path: str) -> socket.socket:
        """A Unix socket only its owner may connect to (0600, in a 0700 folder)."""
        folder = os.path.dirname(path)
        make_dirs(folder, private=True)
        os.chmod(folder, stat.S_IRWXU)
        if os.path.exists(path):
            os.unlink(path)  # a previous gateway's socket; the port bind above proved that one is gone
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            with unix_socket_address(path) as address:
                listener.bind(address)
        finally:
            os.umask(old_umask)
        listener.listen(64)
        listener.setblocking(False)
        return listener

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.table.config.host}:{self.port}"

    def start(self) -> Gateway:
        """Serve from a daemon thread running the event loop, leaving the caller's thread free."""
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._start_servers())
            ready.set()
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"gateway-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _start_servers(self) -> None:
        # `backlog` again: serving a given socket calls listen() once more, with asyncio's default of 100.
        self._servers.append(await self.loop.create_server(lambda: ClientConnection(self, self.hosts),
                                                           sock=self._listener, backlog=LISTEN_BACKLOG))
        if self._control_listener is not None:
            self._servers.append(await self.loop.create_unix_server(lambda: ClientConnection(self, None),
                                                                    sock=self._control_listener, backlog=64))

    def close(self) -> None:
        async def shutdown() -> None:
            for server in self._servers:
                server.close()
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            self.loop.stop()

        if self._thread is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
            self._thread.join(5)
        self._listener.close()
        if self._control_listener is not None:
            self._control_listener.close()
        self._prober.stop()
        if self.debug_bridges is not None:
            self.debug_bridges.close()
        self._exchanges.close(drain=True)
        self._payload_log.close()

    # -- live changes -------------------------------------------------------------------------

    def apply(self, config: GatewayConfig) -> None:
        """Swap in `config`: unchanged deployments keep their pools (and health), changed ones get new pools."""
        with self._change_lock:
            old = self.table
            pools: Dict[str, DeploymentPool] = {}
            for name, route in config.deployments.items():
                current = old.pools.get(name)
                if current is not None and current.route == route and current.secret == config.upstream_secret:
                    pools[name] = current
                else:
                    pools[name] = DeploymentPool(name, route, current.stats if current else None,
                                                 config.upstream_secret)
            recorder = old.recorder
            if config.record_path != old.config.record_path or (config.record_path and recorder is None):
                recorder = self._open_record(config.record_path) if config.record_path else None
            if self.config_path is not None and config != old.config:
                save_config(config, self.config_path)
            self.table = RoutingTable(config, pools, recorder)
            self._prober.follow(pools.values())
            if self.debug_bridges is not None:
                self.debug_bridges.sync({name: (route.containers[0], route.debug_relay, route.debug_port)
                                         for name, route in config.deployments.items()
                                         if route.debug_port and route.debug_relay and route.containers})

    def change(self, edit: Callable[[GatewayConfig], GatewayConfig]) -> GatewayConfig:
        """Apply an edit of the current config atomically with respect to other edits."""
        with self._change_lock:
            config = edit(self.table.config)
            self.apply(config)
            return config

    # -- requests -----------------------------------------------------------------------------

    def admit(self, head: RequestHead, kind: str, table: RoutingTable) -> bool:
        """Everything decided from the head alone, before any body is read; raises Rejection. Returns whether the
        request carries a valid credential (only the liveness route answers without one)."""
        config = table.config
        decision = auth.authorize(config.auth_mode, head.get("authorization"), config.keys, config.token_secret,
                                  config.endpoint)
        if not decision.allowed and kind != "liveness":
            raise Rejection(401, "Unauthorized", decision.reason)
        length = head.get("content-length")
        if length is not None and int(length) > config.max_body_bytes:
            raise Rejection(413, "PayloadTooLarge", f"the body ({length} bytes) is larger than this endpoint's "
                            f"limit of {config.max_body_bytes} bytes (`localep up --max-body-mb`)")
        return decision.allowed

    def evict_idle(self) -> bool:
        """At the connection cap: close the connection that matters least (a keyless one first, then the one idle
        the longest) so a new client gets in; False when every connection is answering or uploading for a client
        with a credential."""
        candidates = [client for client in self.clients if client.evictable()]
        if not candidates:
            return False
        victim = min(candidates, key=lambda client: (client.authenticated, client.last_active))
        victim.close_for_another()
        self.evicted_connections += 1
        return True

    @staticmethod
    def keyless_liveness(table: RoutingTable) -> GatewayAnswer:
        """A liveness request without a credential is answered here from the probes' view, never forwarded: a pin
        header is ignored and no deployment is named."""
        choice = choose_deployment(table.config.traffic, table.pools, None, random.random())
        pool = table.pools.get(choice.deployment) if choice.deployment else None
        if pool is None:
            return error_answer(choice.status, choice.code, choice.message)
        if not pool.candidates():
            return error_answer(503, "ServiceUnavailable", "the endpoint has no healthy instance right now",
                                [("Retry-After", "1")])
        return text_answer(200, "Healthy")

    async def serve(self, request: ClientRequest, table: RoutingTable) -> Tuple[GatewayAnswer, Optional[str]]:
        """The endpoint's answer to one admitted client request, and the deployment that gave it."""
        config = table.config
        if not request.authenticated:
            return self.keyless_liveness(table), None
        choice = choose_deployment(config.traffic, table.pools, request.head.get(DEPLOYMENT_HEADER), random.random())
        if choice.deployment is None:
            return error_answer(choice.status, choice.code, choice.message), None
        pool = table.pools[choice.deployment]
        if request.kind == "kserve" and pool.route.protocol != KSERVE_PROTOCOL:
            return error_answer(404, "NotFound", f"deployment '{pool.name}' does not serve KServe v2 routes "
                                f"(its server protocol is {pool.route.protocol})"), pool.name
        forward = end_to_end(request.head.headers, drop=("authorization", REQUEST_ID_HEADER, UPSTREAM_SECRET_HEADER))
        forward.append((REQUEST_ID_HEADER, request.request_id))
        if not choice.pinned and config.mirror_traffic:
            mirror = mirror_pick(config.mirror_traffic, random.random())
            mirror_pool = table.pools.get(mirror) if mirror and mirror != choice.deployment else None
            if mirror_pool is not None and (request.kind != "kserve" or mirror_pool.route.protocol == KSERVE_PROTOCOL):
                self._mirror(mirror_pool, request, forward, config.max_body_bytes)
        answer = await call_deployment(pool, request.method, pool.route.upstream_path(request.path), forward,
                                       request.body, config.raw_errors, config.max_body_bytes)
        return answer, pool.name

    def _mirror(self, pool: DeploymentPool, request: ClientRequest, forward: Headers, max_body: int) -> None:
        """A copy for the mirror deployment, never waited for; past MIRROR_PENDING copies are dropped."""
        if self.mirror_pending >= MIRROR_PENDING:
            self.mirror_dropped += 1
            return
        self.mirror_pending += 1
        self.loop.create_task(self._send_mirror_copy(pool, request.method, pool.route.upstream_path(request.path),
                                                     forward, request.body.retain(), max_body))

    async def _send_mirror_copy(self, pool: DeploymentPool, method: str, path: str, headers: Headers, body: Body,
                                max_body: int) -> None:
        started = time.perf_counter()
        try:
            answer = await call_deployment(pool, method, path, headers, body, False, max_body)
        finally:
            self.mirror_pending -= 1
            body.release()
        latency_ms = (time.perf_counter() - started) * 1000
        self.mirror_stats.record(answer.status, latency_ms, answer.error)
        access_log.info("mirror %s %s deployment=%s status=%d latency_ms=%.2f%s", method, redact_target(path), pool.name,
                        answer.status, latency_ms, f" error={answer.error}" if answer.error else "")

    def after_response(self, table: RoutingTable, request: ClientRequest, answer: GatewayAnswer,
                       deployment: Optional[str], started: float, latency_ms: float) -> None:
        """Stats, the access log line and the exchange copy, against the table the request was served with."""
        pool = table.pools.get(deployment) if deployment else None
        if pool is not None:
            pool.stats.record(answer.status, latency_ms, answer.error)
        access_log.info("%s %s deployment=%s status=%d latency_ms=%.2f%s", request.method, redact_target(request.path),
                        deployment or "-", answer.status, latency_ms, f" error={answer.error}" if answer.error else "")
        payload = pool.route.payload_logging if pool is not None else None
        if payload is not None and random.random() >= payload.sampling_rate:
            payload = None
        recording = self._on_exchange is not None or table.recorder is not None
        if not recording and payload is None:
            return
        exchange = exchange_record(request, answer, deployment, started, latency_ms) if recording else None
        logged = None if payload is None else PayloadExchange(
            request.request_id, request.started_wall, request.method, request.path, request.head.headers,
            request.body.read(), answer.headers, answer.body)
        if not self._exchanges.submit((table.recorder, payload, logged, exchange)):
            if self._exchanges.dropped % 1000 == 1:
                log.warning("exchange copies dropped so far (recording, payload logging): %d", self._exchanges.dropped)

    def _deliver_exchange(self, item: Tuple[Optional[ExchangeCallback], Optional[PayloadLogging],
                                            Optional[PayloadExchange], Optional[Dict[str, Any]]]) -> None:
        recorder, payload, logged, exchange = item
        if payload is not None and logged is not None:
            self._payload_log.write(payload, logged)
        if exchange is None:
            return
        if self._on_exchange is not None:
            self._on_exchange(exchange)
        if recorder is not None:
            recorder(exchange)

    # -- state --------------------------------------------------------------------------------

    def state(self) -> GatewayStatus:
        """What `ps`, `stats` and the CLI read; never the keys or the token secret (those stay in 0600 files)."""
        table = self.table
        config = replace(table.config, keys=Keys(), token_secret="", upstream_secret="")
        return GatewayStatus(
            pid=os.getpid(),
            supervisor=int(os.environ.get(SUPERVISOR_ENV) or 0) or None,
            endpoint=config.endpoint,
            url=self.url,
            started_at=self.started_at,
            config=config,
            connections=Connections(open=self.open_connections, refused=self.refused_connections,
                                    evicted=self.evicted_connections, limit=self.limits.max_connections),
            deployments={name: pool.status() for name, pool in table.pools.items()},
            mirror=MirrorStatus(deployment=next(iter(config.mirror_traffic), None), stats=self.mirror_stats.snapshot(),
                                dropped=self.mirror_dropped, pending=self.mirror_pending),
            recording=RecordingStatus(path=config.record_path, dropped=self._exchanges.dropped,
                                      failed=self._exchanges.failed, pending=self._exchanges.pending()),
        )


class ClientConnection(asyncio.Protocol):
    """One client connection fed to llhttp; requests on it are answered in order.

    `hosts` None marks the control socket: no Host check, no credential, only the control routes.
    A connection lives `credential_deadline_s` unless a request on it carries a valid credential: keyless requests
    (the open liveness route) never extend its life, so idle keyless connections cannot hold the endpoint's slots.
    """

    def __init__(self, gateway: Gateway, hosts: Optional[FrozenSet[str]]) -> None:
        self.gateway = gateway
        self.limits = gateway.limits
        self.hosts = hosts
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Optional[asyncio.Transport] = None
        self.queue: Deque[ClientRequest] = deque()
        self.busy = False
        self.closing = False
        self.counted = False
        self.timer: Optional[asyncio.TimerHandle] = None
        self.deadline = 0.0
        self.deadline_action: Callable[[], None] = self._idle
        self.paused = False
        self.authenticated = hosts is None  # the control socket is the owner's alone (0600)
        self.expires = 0.0  # until authenticated: when the connection is closed, whatever it does
        self.in_request = False
        self.last_active = 0.0
        self.body = Body()
        self._reset()

    def _reset(self) -> None:
        self.body.release()  # a body never handed to a request (rejected, cut off) goes now
        self.target = b""
        self.raw_headers: List[Tuple[bytes, bytes]] = []
        self.head: Optional[RequestHead] = None
        self.kind = ""
        self.table: Optional[RoutingTable] = None
        self.body = Body()
        self.request_authenticated = False
        self.fed_in_head = 0
        self.rejection: Optional[Rejection] = None
        self.started = 0.0
        self.started_wall = 0.0

    # -- transport ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        gateway = self.gateway
        if self.hosts is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if gateway.open_connections >= self.limits.max_connections and not gateway.evict_idle():
                gateway.refused_connections += 1
                self._reject(Rejection(503, "TooManyConnections", f"the endpoint already has "
                                       f"{self.limits.max_connections} open connections; retry shortly"))
                return
            gateway.clients[self] = None
        gateway.open_connections += 1
        self.counted = True
        self.last_active = gateway.loop.time()
        self.expires = self.last_active + self.limits.credential_deadline_s
        self._arm(self.limits.idle_timeout_s, self._idle)

    def _uncount(self) -> None:
        if self.counted:
            self.gateway.open_connections -= 1
            self.gateway.clients.pop(self, None)
            self.counted = False

    def evictable(self) -> bool:
        """Not answering a request, and not receiving one from a client with a credential."""
        return self.counted and not self.closing and not self.busy and not self.queue and not (
            self.authenticated and self.in_request)

    def close_for_another(self) -> None:
        """Closed to make room at the connection cap; its slot is free at once."""
        self._uncount()
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._uncount()
        self.body.release()
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return  # lingering after a rejection: what the client still sends is dropped, not kept
        in_head = self.head is None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            self._reject(self.rejection or Rejection(400, "BadRequest", "malformed request"))
            return
        except httptools.HttpParserUpgrade:
            self._reject(self.rejection or Rejection(400, "BadRequest", "protocol upgrades are not supported"))
            return
        except httptools.HttpParserError as error:
            self._reject(Rejection(400, "BadRequest", f"malformed request: {error}"))
            return
        if in_head and self.head is None and self.started:
            self.fed_in_head += len(data)
            if self.fed_in_head > self.limits.max_head_bytes:
                self._reject(Rejection(400, "BadRequest", f"request head larger than {self.limits.max_head_bytes} "
                                       "bytes"))

    # -- llhttp callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._reset()
        self.started_wall, self.started = time.time(), time.perf_counter()
        self.in_request = True
        self.last_active = self.gateway.loop.time()
        self._arm(self.limits.head_deadline_s, self._read_timed_out)

    def on_url(self, url: bytes) -> None:
        self.target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        try:
            self._admit()
        except Rejection as rejection:
            self.rejection = rejection
            raise

    def _admit(self) -> None:
        parser = self.parser
        size = len(self.target) + sum(len(n) + len(v) + 4 for n, v in self.raw_headers)
        if size > self.limits.max_head_bytes:
            raise Rejection(400, "BadRequest", f"request head larger than {self.limits.max_head_bytes} bytes")
        version = parser.get_http_version()
        target, headers, lookup = check_head(self.target, self.raw_headers, version, self.limits, self.hosts)
        method = parser.get_method().decode("ascii")
        self.head = RequestHead(method, target, version, headers, lookup, parser.should_keep_alive())
        self.table = self.gateway.table
        if self.hosts is not None:
            kind = route_kind(method, target)
            if kind is None:
                raise Rejection(404, "NotFound", f"{method} {target.split('?', 1)[0][:80]} is not a route of this "
                                "endpoint (/score, /swagger.json, / and, for KServe deployments, /v2/...)")
            self.kind = kind
            self.request_authenticated = self.gateway.admit(self.head, kind, self.table)
            self.authenticated = self.authenticated or self.request_authenticated
        self._arm(self.limits.read_deadline_s, self._read_timed_out)
        if lookup.get("expect", "").lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # only now: the credential was good

    def on_body(self, body: bytes) -> None:
        limit = self.table.config.max_body_bytes if self.table else 0
        if self.body.size + len(body) > limit:
            self.rejection = Rejection(413, "PayloadTooLarge", f"the body is larger than this endpoint's limit of "
                                       f"{limit} bytes (`localep up --max-body-mb`)")
            raise self.rejection
        self.body.append(body)

    def on_message_complete(self) -> None:
        assert self.head is not None
        self.in_request = False
        self.queue.append(ClientRequest(self.head.method, self.head.target, self.head, self.body, self.kind,
                                        self.started, self.started_wall, self.request_authenticated,
                                        request_id_of(self.head)))
        self.body = Body()
        self._arm(self.limits.idle_timeout_s, self._idle)
        if self.busy:
            if self.transport is not None and not self.paused:
                self.paused = True  # pipelined: one request at a time; the next is read after this one is answered
                self.transport.pause_reading()
        else:
            self.busy = True
            self.gateway.loop.create_task(self._answer_queued())

    # -- answering ----------------------------------------------------------------------------

    async def _answer_queued(self) -> None:
        gateway = self.gateway
        try:
            while self.queue and not self.closing:
                request = self.queue.popleft()
                table = self.table or gateway.table
                keep_alive = request.head.keep_alive
                try:
                    await self._answer(request, table, keep_alive)
                finally:
                    request.body.release()
                self.last_active = gateway.loop.time()
        finally:
            self.busy = False
            if self.paused and not self.closing and self.transport is not None:
                self.paused = False
                self.transport.resume_reading()

    async def _answer(self, request: ClientRequest, table: RoutingTable, keep_alive: bool) -> None:
        gateway = self.gateway
        if self.hosts is None:
            answer = handle_control(gateway, request.method, request.path, request.body.read())
            self._write(encode_answer(answer, [], keep_alive, request.method != "HEAD"), keep_alive)
            return
        answer, deployment = await gateway.serve(request, table)
        extra = request_id_header(answer.headers, request.request_id)
        if deployment:
            extra.append((DEPLOYMENT_HEADER, deployment))
        self._write(encode_answer(answer, extra, keep_alive, request.method != "HEAD"), keep_alive)
        gateway.after_response(table, request, answer, deployment, request.started_wall,
                               (time.perf_counter() - request.started) * 1000)

    def _write(self, data: bytes, keep_alive: bool) -> None:
        if self.transport is None or self.closing:
            return
        self.transport.write(data)
        if not keep_alive:
            self.closing = True
            self.transport.close()

    def _reject(self, rejection: Rejection) -> None:
        """Answer with the rejection's status and close; keep reading (and dropping) for a moment, so a client
        still sending its body sees the answer instead of a reset."""
        if self.transport is None or self.closing:
            return
        answer = error_answer(rejection.status, rejection.code, rejection.message,
                              [("WWW-Authenticate", "Bearer")] if rejection.status == 401 else [])
        self.closing = True
        transport = self.transport
        transport.write(encode_answer(answer, [], False, True))
        if self.head is not None or rejection.status in (400, 408, 413, 503):
            access_log.info("rejected status=%d %s", rejection.status, rejection.code)
        if transport.can_write_eof():
            transport.write_eof()
        transport.resume_reading()
        self._arm(self.limits.linger_s, transport.close)

    def _arm(self, delay: float, action: Callable[[], None], capped: bool = True) -> None:
        """One timer per connection, moved lazily: re-arming per request is two float assignments, not a new
        timer handle, unless the new deadline comes before the scheduled one. Until a request carried a
        credential, no deadline goes past the connection's `expires`."""
        loop = self.gateway.loop
        deadline = loop.time() + delay
        if capped and not self.authenticated:
            deadline = min(deadline, self.expires)
        self.deadline, self.deadline_action = deadline, action
        if self.timer is None or self.timer.when() > self.deadline:
            if self.timer is not None:
                self.timer.cancel()
            self.timer = loop.call_at(self.deadline, self._fire)

    def _fire(self) -> None:
        self.timer = None
        loop = self.gateway.loop
        if loop.time() < self.deadline:
            self.timer = loop.call_at(self.deadline, self._fire)
        else:
            self.deadline_action()

    def _idle(self) -> None:
        if self.busy or self.queue:
            self._arm(self.limits.idle_timeout_s if self.authenticated else 0.1, self._idle, capped=False)
        elif self.transport is not None and not self.closing:
            self.closing = True
            self.transport.close()

    def _read_timed_out(self) -> None:
        if self.busy or self.queue:
            return
        if not self.in_request:
            self._idle()  # the connection's keyless life ended between requests
            return
        what = "head" if self.head is None else "body"
        limit = self.limits.head_deadline_s if self.head is None else self.limits.read_deadline_s
        if not self.authenticated and self.gateway.loop.time() >= self.expires:
            what, limit = "credential", self.limits.credential_deadline_s
        self._reject(Rejection(408, "RequestTimeout", f"the request's {what} was not complete within {limit:g}s"))
