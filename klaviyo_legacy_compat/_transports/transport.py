"""The only module that sends anything: a ``requests.Session`` behind the :class:`Transport`
protocol, the boundary where ``requests`` exceptions become ours, and
:class:`ReliableTransport`, which paces and retries around any transport.

Pacing and retries are a transport too, so the translation core and the client never
change with them; their decisions live in ``_pacing`` and ``_retry`` and only the sleeping
is done here.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional, Protocol, Union

import requests
import urllib3

from klaviyo_legacy_compat._core.convert import encode_json
from klaviyo_legacy_compat._core.credentials import API_KEY_SCHEME, account_label
from klaviyo_legacy_compat._core.errors import (
    ConfigurationError,
    KlaviyoCompatError,
    retry_after_seconds,
)
from klaviyo_legacy_compat._core.models import PreparedRequest, RawResponse

from .pacing import Pacer
from .retry import STOPS, Decision, Failure, RetryPolicy

__all__ = [
    "RedactCompanyId",
    "ReliableTransport",
    "RequestTimeoutError",
    "RequestsTransport",
    "Transport",
    "TransportError",
    "UnderlyingError",
    "account_of",
    "connect_failure",
    "encode_body",
    "unsendable",
]

logger = logging.getLogger("klaviyo_legacy_compat")
#: One line per failed attempt (429, 5xx, no answer): WARNING at a request's first retry,
#: INFO at the next ones, WARNING or ERROR when it is given up. The gateway shows them by
#: default; no key, no query string.
upstream_logger = logging.getLogger("klaviyo_legacy_compat.upstream")

Timeout = Union[float, tuple[float, float]]


class TransportError(KlaviyoCompatError, requests.exceptions.ConnectionError):
    """No response at all: connection refused or reset, DNS, TLS, timeout.

    Also a ``requests.exceptions.ConnectionError``, so legacy ``except
    requests.RequestException`` blocks still catch it. ``prepared`` is the request that
    failed; the message names its method and path only, never a key or the query string.
    """

    def __init__(
        self,
        message: str,
        prepared: Optional[PreparedRequest] = None,
        *,
        sent: Optional[bool] = None,
    ) -> None:
        super().__init__(message)
        self.prepared = prepared
        #: False: the request certainly never reached the server (retrying cannot
        #: duplicate it); None: it may have.
        self.sent = sent


class RequestTimeoutError(TransportError):
    """The server did not answer in time. For a write this is ambiguous: it may have been
    stored (which is why every write carries a stable identity)."""


class Transport(Protocol):
    """Sends one prepared request and returns what came back; raises :class:`TransportError`
    when nothing came back."""

    def send(self, request: PreparedRequest) -> RawResponse: ...

    def close(self) -> None: ...


def encode_body(request: PreparedRequest) -> Optional[bytes]:
    """The JSON body as compact UTF-8 bytes, or ``None``."""
    if request.json is None:
        return None
    return encode_json(request.json)


_QUERY = re.compile(r"\?[^\s'\")]*")
_COMPANY_ID = re.compile(r"(company_id=)[^&\s\"']*")


#: urllib3's loggers that log a request's URL, query included. A logger's filters see only
#: the records logged on that very logger, not those its children pass up, so each one
#: needs the filter: ``connectionpool`` logs every request line, ``util.retry`` every retry
#: of a caller's adapter that retries, ``poolmanager`` the redirects it follows itself.
_URLLIB3_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


class RedactCompanyId(logging.Filter):
    """urllib3 logs request URLs at DEBUG, query included; client endpoints carry the public
    key there (``company_id``). This filter, attached to urllib3's loggers by
    :class:`RequestsTransport`, rewrites such records so no key reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "company_id=" in message:
            record.msg = _COMPANY_ID.sub(r"\1<redacted>", message)
            record.args = ()
        return True


def _redact_urllib3_logs() -> None:
    for name in _URLLIB3_URL_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(f, RedactCompanyId) for f in log.filters):
            log.addFilter(RedactCompanyId())


def _describe(request: PreparedRequest, exc: BaseException) -> str:
    # requests' messages quote the URL with its query (company_id=<public key>): strip it.
    path = request.url.split("://", 1)[-1].split("/", 1)[-1]
    return f"{request.method} /{path}: {type(exc).__name__}: {_QUERY.sub('?…', str(exc))}"


#: A header value that can be sent: visible ASCII, with spaces or tabs only inside.
_SENDABLE_HEADER = re.compile(r"[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*")


def unsendable(
    request: PreparedRequest, cause: Optional[BaseException] = None
) -> Optional[ConfigurationError]:
    """Why ``request`` cannot be sent as prepared, naming the header at fault but never its
    value; ``None`` when it can (and no ``cause`` says otherwise).

    Keys are checked where credentials are made (``_credentials.KEY_RULES``); this is the
    boundary's own check, for whatever reaches it. ``requests`` and ``urllib3`` quote the
    value at fault in their errors (``InvalidHeader``: "... in header value:
    'Klaviyo-API-Key pk_...'"; ``http.client``'s ``ValueError``; ``InvalidURL`` and
    ``LocationParseError`` quote the URL, query and ``company_id`` included), and
    ``http.client`` sends some control characters as they are and fails on non-Latin-1 text
    with a ``UnicodeEncodeError``. Nothing has been sent then, and the same request fails
    the same way again, so the error is a :class:`ConfigurationError`: never retried.
    """
    where = f"{request.method} /{request.url.split('://', 1)[-1].partition('/')[2]}"
    for name, value in request.headers:
        if not _SENDABLE_HEADER.fullmatch(value):
            return ConfigurationError(
                f"{where}: the {name} header cannot be sent: it holds a control character, "
                "a line break or non-ASCII text (its value is not shown); nothing was sent"
            )
    if cause is None:
        return None
    return ConfigurationError(
        f"{where}: cannot be sent as prepared: {type(cause).__name__} (its message quotes "
        "the request's headers or URL, so it is not shown); nothing was sent"
    )


@contextmanager
def map_requests_exceptions(request: PreparedRequest) -> Iterator[None]:
    """Translate ``requests`` failures into :class:`TransportError` (httpx
    ``map_httpcore_exceptions`` style), raised ``from`` the original; what fails before
    anything is sent into the :class:`ConfigurationError` of :func:`unsendable`."""
    try:
        yield
    except ValueError as exc:
        # InvalidHeader, InvalidURL, MissingSchema, LocationParseError, http.client's
        # header checks, UnicodeEncodeError: all ValueErrors, all before sending.
        refused = unsendable(request, exc)
        assert refused is not None  # with a cause there is always a reason
        raise refused from None
    except requests.exceptions.ConnectTimeout as exc:
        raise RequestTimeoutError(_describe(request, exc), request, sent=False) from _keyless(exc)
    except requests.exceptions.Timeout as exc:
        raise RequestTimeoutError(_describe(request, exc), request) from _keyless(exc)
    except requests.exceptions.RequestException as exc:
        sent = _never_sent(exc)
        raise TransportError(_describe(request, exc), request, sent=sent) from _keyless(exc)


class UnderlyingError(Exception):
    """What ``requests`` raised, retold without the URL query (which may hold the public key)
    so that a printed traceback shows no key."""


def _keyless(exc: BaseException) -> BaseException:
    text = str(exc)
    if "?" not in text:
        return exc
    return UnderlyingError(f"{type(exc).__name__}: {_QUERY.sub('?…', text)}")


def _never_sent(exc: BaseException) -> Optional[bool]:
    """False when the connection was never made (refused, DNS): nothing reached Klaviyo."""
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return False
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = current.__cause__ or current.__context__
    return None


class RequestsTransport:
    """A :class:`Transport` over one pooled ``requests.Session`` with timeouts; safe to share
    between threads (urllib3's pool is).

    ``timeout`` is seconds, or a ``(connect, read)`` pair. Redirects are not followed: the
    new API does not redirect, and following one could carry the key to another host.

    ``requests.Session.request`` re-reads proxy and certificate settings from the environment
    on every call, and would add ``.netrc`` credentials to the keyless client endpoints. Here
    the environment is read once per host (when the session trusts it), and each request is
    prepared directly and handed to ``Session.send`` with those settings: the cheapest
    correct way, with no lookups per call and the session's own cookies, proxies and
    adapters still in force.
    """

    def __init__(
        self, session: Optional[requests.Session] = None, timeout: Timeout = (3.05, 30.0)
    ) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout
        _redact_urllib3_logs()
        self._environment: dict[str, dict[str, Any]] = {}

    def _settings_for(self, url: str) -> dict[str, Any]:
        origin = "/".join(url.split("/", 3)[:3])
        found = self._environment.get(origin)
        if found is None:
            merged = self.session.merge_environment_settings(
                origin + "/", {}, self.session.stream, self.session.verify, self.session.cert
            )
            # Each key spelled out: older requests stubs (the last for Python 3.9) type
            # ``merged`` as a TypedDict, which takes only literal keys.
            found = {
                "proxies": merged["proxies"],
                "verify": merged["verify"],
                "cert": merged["cert"],
            }
            self._environment[origin] = found
        return found

    def send(self, request: PreparedRequest) -> RawResponse:
        refused = unsendable(request)
        if refused is not None:
            raise refused
        with map_requests_exceptions(request):
            prepared = requests.PreparedRequest()
            prepared.prepare(
                method=request.method,
                url=request.url,
                headers=dict(request.headers),
                data=encode_body(request),
                params=request.params or None,
                cookies=self.session.cookies,
            )
            response = self.session.send(
                prepared,
                timeout=request.timeout or self.timeout,
                allow_redirects=False,
                stream=False,
                **self._settings_for(request.url),
            )
            body = response.content
        return RawResponse(
            status=response.status_code,
            headers=tuple((k.lower(), v) for k, v in response.headers.items()),
            body=body,
        )

    def close(self) -> None:
        self.session.close()


def account_of(request: PreparedRequest) -> str:
    """An opaque label for the account a request spends the rate limits of: a short digest
    of its key (``Authorization`` or ``company_id``), so pacing state never holds a key."""
    key = (request.header("authorization") or "").removeprefix(API_KEY_SCHEME).strip()
    key = key or dict(request.params).get("company_id") or ""
    return account_label(key) if key else ""


#: ``getaddrinfo`` answers that say the name has no address, as opposed to the resolver not
#: answering (EAI_AGAIN, EAI_FAIL): asking again gets the same answer (``CONNECT_FAILURES``).
_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, name, None) for name in ("EAI_NONAME", "EAI_NODATA"))
    if code is not None
)

#: TLS errors that end a connection rather than refuse one: they also happen after the
#: request went out (a server closing mid-response), so they say nothing about the handshake.
_TLS_CLOSED = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)

#: What failed before anything was sent, most specific first: the first row matching any
#: error in the chain names the failure (``_retry.CONNECT_FAILURES`` says whether to retry).
#: urllib3's ``NewConnectionError`` (refused, unreachable, DNS) subclasses its
#: ``ConnectTimeoutError``, so it comes first.
_CONNECT_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((ssl.SSLCertVerificationError,), "certificate_refused"),
    ((ConnectionRefusedError,), "refused"),
    ((urllib3.exceptions.NewConnectionError,), "unreachable"),
    ((urllib3.exceptions.ConnectTimeoutError,), "connect_timeout"),
)


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and everything it wraps: ``__cause__`` and ``__context__`` (a
    :class:`TransportError` is raised ``from`` a keyless retelling, inside the handler of the
    original), urllib3's ``reason`` and the exception ``requests`` passes as its first arg."""
    found: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        for inner in (current.__cause__, current.__context__, reason, first):
            if isinstance(inner, BaseException):
                pending.append(inner)
    return found


def connect_failure(error: BaseException) -> Optional[str]:
    """The kind of connection failure ``error`` is (a key of ``_retry.CONNECT_FAILURES``): the
    request never reached Klaviyo. ``None``: it may have (a read timeout, a reset), or the
    error does not say."""
    chain = _chain(error)
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return "name_not_found" if cause.errno in _NO_SUCH_NAME else "dns"
    for types, kind in _CONNECT_ERRORS:
        if any(isinstance(cause, types) for cause in chain):
            return kind
    for cause in chain:
        # Any other TLS error is the handshake's: after it, TLS fails only by the
        # connection ending (_TLS_CLOSED), or by corruption nothing recovers from anyway.
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, _TLS_CLOSED):
            return "tls"
    return None


def _connect_timeout(timeout: Optional[Timeout]) -> float:
    if timeout is None:
        return 0.0
    return timeout[0] if isinstance(timeout, tuple) else timeout


class ReliableTransport:
    """Paces and retries around another transport, within one time budget per request.

    Before each attempt the :class:`Pacer` books a slot within the endpoint's burst and
    steady limits (shared by every thread using this transport); after it, the
    :class:`RetryPolicy` decides whether to wait and try again (429, 5xx, connection
    failures and timeouts, as the policy allows). When the policy gives up, the last
    response is returned (the caller maps its status to an exception) or the last
    :class:`TransportError` is raised: nothing is dropped silently.

    The first retry of a request logs a WARNING (operation, what failed, the wait, the
    budget left), the later ones INFO; giving up on a failure logs an ERROR when nothing
    reached Klaviyo (a 429, a connection failure), else a WARNING (it may have been
    applied). Logs name the method and path, never a key or a query string.

    ``sleep``, ``clock`` and ``jitter`` are injectable so the loop is tested without waiting.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        pacer: Optional[Pacer] = None,
        policy: Optional[RetryPolicy] = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.pacer = pacer or Pacer(clock=clock)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    def send(self, request: PreparedRequest) -> RawResponse:
        start = self._clock()
        attempt = 0
        account = account_of(request)
        connect_timeout = _connect_timeout(request.timeout)
        #: When the first attempt of the current run of connection failures began.
        unreachable_since: Optional[float] = None
        while True:
            attempt += 1
            wait, slot = self.pacer.book(request.operation, account)
            if wait > 0:
                self._sleep(wait)
            began = self._clock()
            outcome: Union[RawResponse, Failure]
            try:
                response = self.inner.send(request)
            except TransportError as exc:
                kind = connect_failure(exc)
                outcome = Failure(exc, False if kind else exc.sent, kind)
            else:
                self.pacer.observe(request.operation, response, account)
                outcome = response
            now = self._clock()
            # The next attempt may fail as slowly as this one did; a connection failure may
            # also take the whole connect timeout next time (a refusal turning into silence).
            next_attempt = now - began
            connecting = isinstance(outcome, Failure) and outcome.sent is False
            if connecting:
                next_attempt = max(next_attempt, connect_timeout)
                unreachable_since = began if unreachable_since is None else unreachable_since
            else:
                unreachable_since = None  # Klaviyo answered (or may have): reachable again
            decision = self.policy.decide(
                operation=request.operation,
                method=request.method,
                attempt=attempt,
                outcome=outcome,
                elapsed=now - start,
                jitter=self._jitter(),
                unreachable_for=0.0 if unreachable_since is None else now - unreachable_since,
                next_attempt=next_attempt,
            )
            delay = decision.wait
            throttled = isinstance(outcome, RawResponse) and outcome.status == 429
            if throttled or connecting:
                # Klaviyo did not count this attempt (a 429 is not counted; an unsent one
                # never arrived): its slot is free again, whether or not we try again.
                self.pacer.release(request.operation, slot, account)
            if throttled and isinstance(outcome, RawResponse):
                # Every request to this endpoint waits, this one's retry or not: the hold
                # is the retry's delay, or Klaviyo's own wait when this one gives up.
                hold = delay if delay is not None else retry_after_seconds(outcome)
                if hold:
                    self.pacer.hold(request.operation, hold, account)
            if delay is None:
                _log_giving_up(request, outcome, decision, attempt, now - start)
                if isinstance(outcome, Failure):
                    raise outcome.error
                return outcome
            # One line per failed attempt (the gateway's upstream log): the first retry of a
            # request at WARNING, the next ones at INFO, giving up at WARNING or ERROR.
            upstream_logger.log(
                logging.WARNING if attempt == 1 else logging.INFO,
                "%s: %s; attempt %d in %.2f s, %.1f s of %s left",
                _named(request),
                _cause(outcome),
                attempt + 1,
                delay,
                decision.left,
                decision.budget,
            )
            self._sleep(delay)

    def close(self) -> None:
        self.inner.close()


def _named(request: PreparedRequest) -> str:
    # The path without the query: client endpoints carry the public key there.
    path = request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    return f"{request.operation} ({request.method} /{path})"


def _cause(outcome: Union[RawResponse, Failure]) -> str:
    if isinstance(outcome, RawResponse):
        return f"status {outcome.status}"
    name = type(outcome.error).__name__
    return name if outcome.kind is None else f"{name} ({outcome.kind})"


def _log_giving_up(
    request: PreparedRequest,
    outcome: Union[RawResponse, Failure],
    decision: Decision,
    attempts: int,
    elapsed: float,
) -> None:
    """An ERROR when the request certainly did not reach Klaviyo (a 429 is not processed; a
    connection failure never arrived), a WARNING when it may have been applied; nothing for
    an outcome that is not a failure (a success, a 4xx)."""
    if decision.stop is None or decision.stop == "final":
        return
    undelivered = (isinstance(outcome, RawResponse) and outcome.status == 429) or (
        isinstance(outcome, Failure) and outcome.sent is False
    )
    upstream_logger.log(
        logging.ERROR if undelivered else logging.WARNING,
        "%s: giving up after %d attempt%s in %.1f s: %s; %s; %s",
        _named(request),
        attempts,
        "" if attempts == 1 else "s",
        elapsed,
        _cause(outcome),
        STOPS[decision.stop].format(budget=decision.budget),
        "nothing was delivered" if undelivered else "it may have been applied",
    )
