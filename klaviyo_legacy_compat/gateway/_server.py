"""Serving the gateway: on waitress (its channel, parser and error task subclassed so that
every answer it makes itself is in the legacy JSON shape), or on the threaded stdlib server
as a fallback (:class:`GatewayServer`, :func:`serve`)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socketserver
import sys
import threading
from collections.abc import Mapping
from typing import Any, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.respond import reason_phrase
from klaviyo_legacy_compat.gateway._app import Gateway, _legacy_json, _printable
from klaviyo_legacy_compat.gateway._settings import GatewaySettings

__all__ = ["GatewayServer", "serve"]

logger = logging.getLogger("klaviyo_legacy_compat.gateway")


# --- waitress, answering in the legacy shape ------------------------------------------------


def _waitress_server(settings: GatewaySettings) -> Optional[type[Any]]:
    """waitress's TCP server, with its channel, parser and error task subclassed to answer
    in the legacy JSON shape; ``None`` when waitress is not installed."""
    try:
        from waitress.channel import HTTPChannel
        from waitress.parser import HTTPRequestParser, ParsingError
        from waitress.server import TcpWSGIServer
        from waitress.task import ErrorTask
        from waitress.utilities import BadRequest
    except ImportError:
        return None

    class URITooLong(BadRequest):  # type: ignore[misc]
        code = 414
        reason = "URI Too Long"

    max_uri = settings.max_uri_size

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        """waitress's parser with nginx's framing rules added: a URI over the limit is a
        414 (before more of it is read); ``Content-Length`` beside ``Transfer-Encoding``, or
        ``Transfer-Encoding`` in HTTP/1.0, a 400 (the two readings request smuggling plays
        on)."""

        completed: bool  # waitress's attributes, set by its parser

        def received(self, data: bytes) -> int:
            if self.body_rcv is None and not self.completed:
                pending = (self.header_plus + data).lstrip()
                end = pending.find(b"\n")
                line = pending if end < 0 else pending[:end]
                words = line.split(b" ")
                uri = words[1] if len(words) > 1 else b""
                if len(uri) > max_uri or (end < 0 and len(line) > max_uri + 32):
                    self.parse_header(b"GET / HTTP/1.0\r\n")
                    self.error = URITooLong(f"the URI may be at most {max_uri} bytes")
                    self.completed = True
                    return len(data)
            return int(super().received(data))

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.chunked and "CONTENT_LENGTH" in self.headers:
                raise ParsingError(
                    "a request may not carry both Content-Length and Transfer-Encoding"
                )
            if "TRANSFER_ENCODING" in self.headers:  # waitress keeps it for HTTP/1.0 only
                raise ParsingError("Transfer-Encoding is not allowed in HTTP/1.0")

    class LegacyErrorTask(ErrorTask):  # type: ignore[misc]
        """waitress's own answers (framing, sizes, a failure) in the legacy JSON shape."""

        def execute(self) -> None:
            error = self.request.error
            answer = _legacy_json(error.code, f"{error.reason}: {error.body}")
            self.status = f"{answer.status} {error.reason}"
            self.response_headers.extend(answer.headers)
            self.set_close_on_finish()
            self.content_length = len(answer.body)
            self.write(answer.body)
            logger.info(
                "%s %s %d - (refused by the server)",
                getattr(self.request, "command", None) or "-",
                _printable(getattr(self.request, "path", None) or "-"),
                answer.status,
            )

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = Parser
        error_task_class = LegacyErrorTask
        request: Any  # the request being read, as waitress keeps it

        def expire_unfinished(self, cutoff: float) -> None:
            """A body that stopped part way and has been idle since before ``cutoff``:
            answer 400 (a lying ``Content-Length``) rather than close without a word."""
            with self.requests_lock:
                request = self.request
                if (
                    request is None
                    or self.requests
                    or not request.headers_finished
                    or request.completed
                    or self.last_activity >= cutoff
                ):
                    return
                framing = (
                    "chunked" if request.chunked else f"Content-Length {request.content_length}"
                )
                request.error = BadRequest(f"the body stopped before its end ({framing})")
                request.completed = True
                self.request = None
                self.requests.append(request)
                self.server.add_task(self)

    class Server(TcpWSGIServer):  # type: ignore[misc]
        channel_class = Channel

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _guard_trigger(self.trigger)

        def maintenance(self, now: float) -> None:
            cutoff = now - self.adj.channel_timeout
            for channel in list(self.active_channels.values()):
                if isinstance(channel, Channel):
                    channel.expire_unfinished(cutoff)
            super().maintenance(now)

    return Server


def _guard_trigger(trigger: Any) -> None:
    """Make waitress's wake-up pipe safe to pull after it was closed.

    A worker thread that finishes a response pulls the trigger (``os.write`` on the pipe's
    descriptor) to wake the server loop. At shutdown the loop closes the pipe while workers
    may still be finishing: a pull after that writes to a descriptor number the process may
    already have handed to another socket or file (seen as ``OSError: Bad file descriptor``
    in another connection). The pull and the close take one lock, and a pull after the close
    does nothing: the loop it would wake has stopped.
    """
    lock = threading.Lock()
    pull, close = trigger._physical_pull, trigger._close

    def guarded_pull() -> None:
        with lock:
            if not trigger._closed:
                pull()

    def guarded_close() -> None:
        with lock:
            close()

    trigger._physical_pull = guarded_pull
    trigger._close = guarded_close


# --- the stdlib fallback ----------------------------------------------------------------------


class _StdlibServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _StdlibHandler(WSGIRequestHandler):
    """Legacy JSON for the errors the stdlib server answers itself, no access log of its own
    (it would print query strings, keys included), and a socket timeout so that a body that
    never comes ends in a 400, not a hung thread."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the gateway logs each request itself, without its query string."""

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        answer = _legacy_json(code, message or reason_phrase(code) or "error")
        # An unreadable request line leaves HTTP/0.9, which has no status line or headers.
        self.request_version = "HTTP/1.0"
        with contextlib.suppress(OSError):
            self.send_response(code, message)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(answer.body)
        self.close_connection = True


# --- serving --------------------------------------------------------------------------------


class GatewayServer:
    """A bound gateway: :meth:`serve_forever` serves until :meth:`shutdown` (from another
    thread); :meth:`server_close` releases the socket and the gateway's threads.
    ``server_address`` is the (host, port) bound; ``kind`` is ``"waitress"`` or
    ``"stdlib"``."""

    def __init__(self, gateway: Gateway, host: str, port: int, server: str = "auto") -> None:
        if server not in ("auto", "waitress", "stdlib"):
            raise ConfigurationError("server: must be 'auto', 'waitress' or 'stdlib'")
        self.gateway = gateway
        settings = gateway.settings
        waitress = _waitress_server(settings) if server != "stdlib" else None
        if waitress is None and server == "waitress":
            raise ConfigurationError(
                "waitress is not installed: pip install klaviyo-legacy-compat[gateway]"
            )
        self._stopped = threading.Event()
        self._stopped.set()
        self._closed = False
        if waitress is not None:
            self.kind = "waitress"
            self._start_waitress(waitress, host, port)
        else:
            if server == "auto":
                logger.warning(
                    "waitress is not installed: serving with the stdlib server (HTTP/1.0, no "
                    "chunked request bodies, one thread per connection); for production: pip "
                    "install klaviyo-legacy-compat[gateway]"
                )
            self.kind = "stdlib"
            # StreamRequestHandler's socket timeout: a body that never comes ends in a 400.
            handler = type("Handler", (_StdlibHandler,), {"timeout": settings.idle_timeout})
            server_class = type(
                "Server", (_StdlibServer,), {"request_queue_size": settings.backlog}
            )
            self._stdlib = server_class((host, port), handler)
            self._stdlib.set_app(gateway)
            address = self._stdlib.server_address
            self.server_address = (str(address[0]), int(address[1]))

    def _start_waitress(self, server_class: type[Any], host: str, port: int) -> None:
        from waitress.adjustments import Adjustments
        from waitress.task import ThreadedTaskDispatcher

        settings = self.gateway.settings
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=settings.threads,
            backlog=settings.backlog,
            connection_limit=settings.connection_limit,
            channel_timeout=settings.idle_timeout,
            cleanup_interval=max(1, settings.idle_timeout // 4),
            # waitress refuses a body of max_request_body_size bytes or more.
            max_request_body_size=settings.max_body_size + 1,
            max_request_header_size=settings.max_header_size,
            # Keeps a busy connection readable, so a client that goes away is noticed
            # (waitress.client_disconnected).
            channel_request_lookahead=1,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            ident="klaviyo-legacy-compat",
        )
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(settings.threads)
        self._servers = [
            server_class(
                self.gateway,
                self._map,
                dispatcher=self._dispatcher,
                adj=adjustments,
                sockinfo=info,
            )
            for info in adjustments.listen
        ]
        first = self._servers[0]
        self.server_address = (str(first.effective_host), int(first.effective_port))
        queue = logging.getLogger("waitress.queue")
        if queue.level == logging.NOTSET:
            # A WARNING each time a request waits for a thread is noise under load; the
            # access log's durations show the waits.
            queue.setLevel(logging.ERROR)

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`."""
        self._stopped.clear()
        try:
            if self.kind == "waitress":
                self._servers[0].run()
            else:
                self._stdlib.serve_forever()
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` (running in another thread) and wait for it."""
        if self.kind == "stdlib":
            if not self._stopped.is_set():
                self._stdlib.shutdown()
            return
        self._servers[0].trigger.pull_trigger(self._close_all)
        self._stopped.wait(timeout)
        self._dispatcher.shutdown(timeout=timeout)

    def _close_all(self) -> None:
        for dispatcher in list(self._map.values()):
            with contextlib.suppress(Exception):
                dispatcher.close()

    def server_close(self) -> None:
        """Release the listening socket, the gateway's worker threads and its own client."""
        if self._closed:
            return
        self._closed = True
        if self.kind == "stdlib":
            self._stdlib.server_close()
        else:
            if self._stopped.is_set():
                self._close_all()
            self._dispatcher.shutdown(timeout=1.0)
        self.gateway.close()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _show_logs() -> None:
    """The access log and the upstream failures on standard error, unless the application
    configured logging itself."""
    if logging.getLogger().handlers or logging.getLogger("klaviyo_legacy_compat").handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("klaviyo_legacy_compat").addHandler(handler)


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    client: Optional[CompatClient] = None,
    *,
    server: str = "auto",
    options: Optional[Mapping[str, Any]] = None,
    **settings: Any,
) -> GatewayServer:
    """The gateway bound to ``host:port`` (0: any free port), on waitress when installed
    (``server="auto"``; ``"waitress"`` requires it, ``"stdlib"`` forces the fallback).
    ``settings`` are :class:`GatewaySettings` fields, ``options`` per-call options. Call
    ``serve_forever()``. Binding anything but a loopback address logs a WARNING: legacy
    requests carry their keys in the query or the body."""
    try:
        gateway_settings = GatewaySettings(**settings)
    except TypeError as exc:
        raise ConfigurationError(f"serve: {exc}") from None
    if not _is_loopback(host):
        logger.warning(
            "the gateway listens on %s, not a loopback address: legacy requests carry API keys "
            "in their query strings and bodies, so reach it only over a trusted network or "
            "behind TLS",
            host,
        )
    gateway = Gateway(client, gateway_settings, **(options or {}))
    try:
        running = GatewayServer(gateway, host, port, server)
    except BaseException:
        gateway.close()
        raise
    _show_logs()
    return running
