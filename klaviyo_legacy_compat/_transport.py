"""The only module that sends anything: a ``requests.Session`` behind the :class:`Transport`
protocol, and the boundary where ``requests`` exceptions become ours.

Pacing and retries wrap a transport (they are a transport too), so the translation core
and the client never change when they are added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional, Protocol, Union

import requests

from ._errors import KlaviyoCompatError
from ._models import PreparedRequest, RawResponse

__all__ = ["RequestTimeoutError", "RequestsTransport", "Transport", "TransportError", "encode_body"]

Timeout = Union[float, tuple[float, float]]


class TransportError(KlaviyoCompatError, requests.exceptions.ConnectionError):
    """No response at all: connection refused or reset, DNS, TLS, timeout.

    Also a ``requests.exceptions.ConnectionError``, so legacy ``except
    requests.RequestException`` blocks still catch it. ``prepared`` is the request that
    failed; the message names its method and path only, never a key or the query string.
    """

    def __init__(self, message: str, prepared: Optional[PreparedRequest] = None) -> None:
        super().__init__(message)
        self.prepared = prepared


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
    return json.dumps(request.json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_QUERY = re.compile(r"\?[^\s'\")]*")


def _describe(request: PreparedRequest, exc: BaseException) -> str:
    # requests' messages quote the URL with its query (company_id=<public key>): strip it.
    path = request.url.split("://", 1)[-1].split("/", 1)[-1]
    return f"{request.method} /{path}: {type(exc).__name__}: {_QUERY.sub('?…', str(exc))}"


@contextmanager
def map_requests_exceptions(request: PreparedRequest) -> Iterator[None]:
    """Translate ``requests`` failures into :class:`TransportError` (httpx
    ``map_httpcore_exceptions`` style), raised ``from`` the original."""
    try:
        yield
    except requests.exceptions.Timeout as exc:
        raise RequestTimeoutError(_describe(request, exc), request) from exc
    except requests.exceptions.RequestException as exc:
        raise TransportError(_describe(request, exc), request) from exc


class RequestsTransport:
    """A :class:`Transport` over one pooled ``requests.Session`` with timeouts.

    ``timeout`` is seconds, or a ``(connect, read)`` pair. Redirects are not followed: the
    new API does not redirect, and following one could carry the key to another host.
    """

    def __init__(
        self, session: Optional[requests.Session] = None, timeout: Timeout = (3.05, 30.0)
    ) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout

    def send(self, request: PreparedRequest) -> RawResponse:
        with map_requests_exceptions(request):
            response = self.session.request(
                request.method,
                request.url,
                params=request.params or None,
                data=encode_body(request),
                headers=dict(request.headers),
                timeout=request.timeout or self.timeout,
                allow_redirects=False,
            )
            body = response.content
        return RawResponse(
            status=response.status_code,
            headers=tuple((k.lower(), v) for k, v in response.headers.items()),
            body=body,
        )

    def close(self) -> None:
        self.session.close()
