"""The gateway's own options (:class:`GatewaySettings`), the upstream connection pool they
size (:func:`pooled_session`), and the error of a call the gateway stopped."""

from __future__ import annotations

from typing import Any, Callable

import attrs
import requests
from requests.adapters import HTTPAdapter

from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._transports.transport import TransportError

__all__ = ["GatewayCancelledError", "GatewaySettings", "pooled_session"]

_MIB = 1024 * 1024


def _at_least(minimum: float, kind: type = int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    kinds = (int,) if kind is int else (int, float)
    what = "a whole number" if kind is int else "a number"

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
            raise ConfigurationError(f"{attribute.name}: must be {what} of at least {minimum:g}")

    return check


@attrs.frozen
class GatewaySettings:
    """The gateway's own options (``klaviyo-legacy-compat serve --help`` names the same).

    - ``threads`` (32): requests served at once; the upstream connection pool is sized to
      match (:func:`pooled_session`).
    - ``backlog`` (1024, at least 128): connections the kernel queues before accepting.
    - ``connection_limit`` (1000): open connections at once; past it, new ones wait in the
      backlog.
    - ``idle_timeout`` (30 s): a connection idle this long is closed; one that stopped part
      way through a body is answered ``400`` first.
    - ``max_body_size`` (5 MiB: Klaviyo's own limit for one event), ``max_uri_size``
      (16 KiB), ``max_header_size`` (64 KiB, the request line included): ``413``, ``414``
      and ``431`` past them.
    - ``deadline`` (25 s): the longest a client waits for its answer.
    - ``retry_window`` (600 s; 0: off) and ``retry_window_size`` (100,000 requests): how
      long and how many recent writes are remembered to recognise a client's retry.
    """

    threads: int = attrs.field(default=32, validator=_at_least(1))
    backlog: int = attrs.field(default=1024, validator=_at_least(128))
    connection_limit: int = attrs.field(default=1000, validator=_at_least(1))
    idle_timeout: int = attrs.field(default=30, validator=_at_least(1))
    max_body_size: int = attrs.field(default=5 * _MIB, validator=_at_least(0))
    max_uri_size: int = attrs.field(default=16 * 1024, validator=_at_least(256))
    max_header_size: int = attrs.field(default=64 * 1024, validator=_at_least(1024))
    deadline: float = attrs.field(default=25.0, validator=_at_least(0.1, float))
    retry_window: float = attrs.field(default=600.0, validator=_at_least(0, float))
    retry_window_size: int = attrs.field(default=100_000, validator=_at_least(1))


def pooled_session(size: int) -> requests.Session:
    """A ``requests.Session`` whose connection pool keeps ``size`` connections per host:
    one per gateway thread, so none is opened and dropped per request under load
    (``requests`` keeps 10 by default)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class GatewayCancelledError(TransportError):
    """The gateway stopped a call before its first request: its client went away, or its
    deadline passed. Nothing was sent (``sent`` is False)."""
