"""``klaviyo-legacy-compat doctor``: is this installation ready to talk to Klaviyo?

It reports, as text or JSON:

- the package version and the configured revision with its support window (released,
  deprecated on, retired on, days left: ``_core/revision.py``, Klaviyo's lifecycle of
  new-api.md §1);
- the effective configuration, every option of ``_core/config.OPTIONS`` as a client resolves
  it from its arguments and the environment, with where each value came from; the private
  key redacted (``_core/credentials.redact``), a Redis URL without its password;
- whether Klaviyo is reachable: one keyless ``GET /api/lists`` to the configured base URL
  through the transport (the session's proxies and certificates apply), with a short
  timeout. Any answer below 500 is reachable (401 is expected: no key is sent); no answer
  is reported by its kind (``refused``, ``unreachable``, ``connect_timeout``, ...).

Exit status: 0 when all is well, 1 when something needs attention (the revision is
deprecated or retired, Klaviyo is unreachable or failing, no private key is configured),
2 when the configuration itself is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import date
from typing import Any, Optional, TextIO

import attrs

from klaviyo_legacy_compat._core.config import OPTIONS, Settings, resolve_settings
from klaviyo_legacy_compat._core.credentials import redact, safe_url
from klaviyo_legacy_compat._core.errors import KlaviyoCompatError
from klaviyo_legacy_compat._core.models import PreparedRequest
from klaviyo_legacy_compat._core.revision import STABLE, support_window
from klaviyo_legacy_compat._surfaces import lifecycle
from klaviyo_legacy_compat._transports.transport import (
    RequestsTransport,
    RequestTimeoutError,
    TransportError,
    connect_failure,
)
from klaviyo_legacy_compat._version import USER_AGENT, __version__

__all__ = ["PROBE_PATH", "PROBE_TIMEOUT", "Reachability", "Report", "diagnose", "doctor", "probe"]

#: The request that tells whether Klaviyo answers: a read that needs a key, sent without one,
#: so it changes nothing, spends no rate limit of an account and carries no key.
PROBE_PATH = "/api/lists"
#: Seconds to connect, and to read the answer: short, a diagnosis should not hang.
PROBE_TIMEOUT = (3.05, 5.0)


@attrs.frozen
class Reachability:
    """What the probe found: ``status`` and ``latency_ms`` of an answer, or the ``error``
    kind and its ``detail``; ``checked=False`` when the network was not used."""

    checked: bool
    url: str
    status: Optional[int] = None
    latency_ms: Optional[int] = None
    error: Optional[str] = None
    detail: Optional[str] = None

    @property
    def ok(self) -> bool:
        return not self.checked or (self.status is not None and self.status < 500)


def probe(settings: Settings, timeout: Any = PROBE_TIMEOUT) -> Reachability:
    """One keyless ``GET`` of :data:`PROBE_PATH` at the configured base URL."""
    url = settings.base_url + PROBE_PATH
    request = PreparedRequest(
        method="GET",
        url=url,
        params=(),
        headers=(
            ("revision", settings.revision),
            ("Accept", "application/vnd.api+json"),
            ("User-Agent", USER_AGENT),
        ),
        operation="doctor",
        timeout=timeout,
    )
    transport = RequestsTransport(timeout=timeout)
    started = time.monotonic()
    try:
        answer = transport.send(request)
    except RequestTimeoutError as exc:
        kind = "connect_timeout" if exc.sent is False else "read_timeout"
        return Reachability(True, url, error=kind, detail=str(exc))
    except TransportError as exc:
        return Reachability(True, url, error=connect_failure(exc) or "connection", detail=str(exc))
    finally:
        transport.close()
    latency = round((time.monotonic() - started) * 1000)
    return Reachability(True, url, status=answer.status, latency_ms=latency)


def _value(settings: Settings, name: str) -> Any:
    """The resolved value of option ``name``, shown safely."""
    if name in ("private_key", "public_key"):
        key = getattr(settings.credentials, name)
        # The public key is public (every storefront page carries it); the private one is not.
        return None if key is None else redact(key) if name == "private_key" else key
    for part in (settings, settings.options, settings.delivery, settings.batch):
        if hasattr(part, name):
            value = getattr(part, name)
            if name == "rate_limit_redis_url" and value is not None:
                return safe_url(value)
            return list(value) if isinstance(value, tuple) else value
    raise KeyError(name)  # pragma: no cover - test_doctor checks every option has a value


def _source(name: str, given: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """Where option ``name`` came from: ``argument``, its environment variable, ``default``."""
    if given.get(name) is not None:
        return "argument"
    env = OPTIONS[name].env
    if env is not None and environ.get(env, "") != "":
        return env
    return "default"


@attrs.frozen
class Report:
    """Everything ``doctor`` found; :attr:`attention` lists what needs it."""

    version: str
    today: date
    settings: Settings = attrs.field(repr=False)
    configuration: Mapping[str, tuple[Any, str]] = attrs.field(repr=False)
    reachability: Reachability

    @property
    def attention(self) -> list[str]:
        found = []
        window = support_window(self.settings.revision)
        state = window.status(self.today)
        if state != STABLE:
            found.append(lifecycle.revision_message(self.settings.revision, self.today))
        if self.settings.credentials.private_key is None:
            found.append("no private key is configured (private_key, KLAVIYO_PRIVATE_API_KEY)")
        reach = self.reachability
        if not reach.ok:
            found.append(
                f"Klaviyo answered {reach.status}"
                if reach.status is not None
                else f"Klaviyo is not reachable at {reach.url}: {reach.error}"
            )
        return found

    @property
    def items(self) -> list[tuple[str, tuple[Any, str]]]:
        """The options, in the order of ``OPTIONS``: name, (value, source)."""
        return list(self.configuration.items())

    def to_dict(self) -> dict[str, Any]:
        window = support_window(self.settings.revision)
        return {
            "version": self.version,
            "revision": {
                "revision": window.revision,
                "status": window.status(self.today),
                "released": window.released.isoformat(),
                "deprecated_on": window.deprecated_on.isoformat(),
                "retired_on": window.retired_on.isoformat(),
                "days_left": window.days_left(self.today),
            },
            "configuration": {
                name: {"value": value, "source": source}
                for name, (value, source) in self.configuration.items()
            },
            "reachability": attrs.asdict(self.reachability) | {"ok": self.reachability.ok},
            "attention": self.attention,
        }

    def to_text(self) -> str:
        data = self.to_dict()
        rev = data["revision"]
        reach = self.reachability
        lines = [
            f"klaviyo-legacy-compat {self.version}",
            f"revision {rev['revision']}: {rev['status']} (released {rev['released']}, "
            f"deprecated on {rev['deprecated_on']}, retired on {rev['retired_on']}: "
            f"{rev['days_left']} days left)",
            "configuration:",
        ]
        shown = {name: json.dumps(value, ensure_ascii=False) for name, (value, _) in self.items}
        width = max(len(name) for name in shown)
        value_width = max(len(value) for value in shown.values())
        for name, (_, source) in self.items:
            lines.append(f"  {name:<{width}}  {shown[name]:<{value_width}}  {source}")
        if not reach.checked:
            lines.append("klaviyo: not checked (--no-network)")
        elif reach.status is not None:
            lines.append(
                f"klaviyo: reachable: GET {reach.url} answered {reach.status} in "
                f"{reach.latency_ms} ms"
            )
        else:
            lines.append(f"klaviyo: not reachable: GET {reach.url}: {reach.error}: {reach.detail}")
        attention = self.attention
        lines.append("status: ok" if not attention else "status: needs attention")
        lines.extend(f"  - {item}" for item in attention)
        return "\n".join(lines) + "\n"


def diagnose(
    given: Mapping[str, Any], environ: Mapping[str, str], *, today: date, network: bool
) -> Report:
    """What ``doctor`` reports for a client configured with ``given`` in ``environ``.
    :class:`ConfigurationError` when the configuration is refused."""
    settings = resolve_settings(given, environ=environ)
    configuration = {
        name: (_value(settings, name), _source(name, given, environ)) for name in OPTIONS
    }
    reach = probe(settings) if network else Reachability(False, settings.base_url + PROBE_PATH)
    return Report(__version__, today, settings, configuration, reach)


def doctor(
    given: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    network: bool,
    output: str,
    out: TextIO,
    err: TextIO,
) -> int:
    """Print the report as ``output`` (``text`` or ``json``); the exit status."""
    try:
        report = diagnose(given, environ, today=lifecycle.today(), network=network)
    except KlaviyoCompatError as exc:
        err.write(f"klaviyo-legacy-compat doctor: {exc}\n")
        return 2
    if output == "json":
        out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report.to_text())
    return 1 if report.attention else 0
