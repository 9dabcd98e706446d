"""``CompatClient``: the legacy calls, planned or sent, with its own configuration.

The client holds a configuration (arguments → environment → defaults, resolved once per
configuration and per set of per-call options: :meth:`CompatClient.settings`), its delivery
machinery (:class:`~._carrier.Carrier`) and its bulk-mode buffer. Each legacy method parses
its arguments into a typed call (``_calls``) and hands it to the one entry path,
:func:`~._execute.execute`, with the settings and the call's credentials: the configured
keys, and those its legacy request carried (a raw request's ``api_key``, a payload's
``token``). The client is the only place that holds keys next to a call, and ``execute``
hands them to ``prepare`` alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Optional, Union, cast

import attrs

from klaviyo_legacy_compat._bulk.batching import Batcher, FlushReport
from klaviyo_legacy_compat._core.calls import (
    ExcludeEmailCall,
    LegacyCall,
    PayloadCall,
    Request,
    SubscribeCall,
    UnsubscribeCall,
    is_identify_payload,
    parse_identify,
    parse_payload,
    parse_track,
)
from klaviyo_legacy_compat._core.config import (
    OPTIONS,
    Settings,
    check_option_names,
    resolve_settings,
)
from klaviyo_legacy_compat._core.credentials import (
    Credentials,
    Key,
    combine,
    credentials,
    with_private_key,
)
from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Notice
from klaviyo_legacy_compat._core.parse import parse_list_id, string_list
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.prepare import RequestContext
from klaviyo_legacy_compat._surfaces.execute import CallScope, execute, request_context
from klaviyo_legacy_compat._transports.carrier import Carrier
from klaviyo_legacy_compat._transports.transport import Transport

if TYPE_CHECKING:
    import requests  # noqa: TID251 - only for the type of the optional session argument

__all__ = ["CallScope", "CompatClient"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


#: The scope of the calls running in this context, with the client it belongs to.
_SCOPE: contextvars.ContextVar[Optional[tuple[CompatClient, CallScope]]] = contextvars.ContextVar(
    "klaviyo_legacy_compat_call_scope", default=None
)

#: Sets of per-call options whose settings a client keeps, per configuration (the oldest
#: forgotten first): a legacy SDK object, a gateway, a sender with its own keys each pass
#: the same options on every call.
_PER_CALL = 64


@attrs.define
class _Resolved:
    """The settings of one configuration (``version``): the options and environment they
    were read from, and the settings of each set of per-call options met since. The repr
    shows none of them: they may hold keys."""

    version: int
    options: dict[str, Any] = attrs.field(repr=False)
    environ: dict[str, str] = attrs.field(repr=False)
    settings: Settings = attrs.field(repr=False)
    per_call: dict[tuple[Any, ...], Settings] = attrs.field(factory=dict, repr=False)


class CompatClient:
    """Legacy calls translated to the new API, with one configuration and one connection pool.

    ``options`` are those of :func:`configure` (``private_key``, ``public_key``,
    ``base_url``, ``revision``, ``dry_run``, ``timeout``, ``subscribe_chunk_size``, ...);
    each call may override any of them.

    Requests go through one pooled ``requests.Session`` (``session`` to bring your own:
    proxies, certificates), paced within each endpoint's rate limits and retried within a
    time budget (:class:`ReliableTransport`). ``transport`` replaces all of that with a
    transport of your own, used as given (tests use
    :class:`klaviyo_legacy_compat.testing.RecordingTransport`; wrap yours in
    ``ReliableTransport`` to keep pacing and retries). ``clock`` supplies the call time
    stamped on events that carry none. ``environment_keys=False`` ignores the keys of the
    environment (a gateway uses only the keys each request carries). Safe to share between
    threads.
    """

    def __init__(
        self,
        *,
        transport: Optional[Transport] = None,
        session: Optional[requests.Session] = None,
        clock: Callable[[], datetime] = _utc_now,
        environment_keys: bool = True,
        **options: Any,
    ) -> None:
        check_option_names(options)
        self._options: dict[str, Any] = dict(options)
        self._environment_keys = environment_keys
        self._carrier = Carrier(transport, session)
        self._clock = clock
        self._lock = threading.Lock()
        # The options' version (configure() and override() count it up), and the settings
        # resolved for it; see settings().
        self._version = 0
        self._resolved: Optional[_Resolved] = None
        self._batcher: Optional[Batcher] = None

    def __repr__(self) -> str:
        # Options may hold keys: show only their names.
        return f"CompatClient(options={sorted(self._options)})"

    @property
    def carrier(self) -> Carrier:
        """This client's delivery machinery (transports, pacers, worker threads), which its
        calls and its bulk mode share."""
        return self._carrier

    # --- configuration ------------------------------------------------------------------

    def configure(self, **options: Any) -> None:
        """Change this client's defaults; ``None`` removes an option again. The environment
        is read again at the next call.

        The configuration it would make is checked first, with the environment the next
        call reads (removing an option can let a bad environment value through): when it
        is refused, :class:`ConfigurationError` says why and nothing has changed."""
        check_option_names(options)
        with self._lock:
            self._options = self._checked(options)
            self._version += 1

    def override(self, **options: Any) -> dict[str, Any]:
        """``configure(**options)``, returning the values they replaced (``None``: not set),
        to hand back to ``configure`` later (what ``batching()`` does). Refused as a whole,
        as ``configure`` is."""
        check_option_names(options)
        with self._lock:
            previous = {name: self._options.get(name) for name in options}
            self._options = self._checked(options)
            self._version += 1
        return previous

    def settings(self, **options: Any) -> Settings:
        """The settings a call with ``options`` would run with.

        The environment is read when the client first needs its settings and again after
        each ``configure()`` call (``configure()`` with no arguments just re-reads it):
        reading it on every call would cost more than translating one. Per-call options
        are resolved on top of that snapshot, once per configuration for each set of them
        (the legacy SDK objects pass the same ones on every call).
        """
        resolved = self._resolved
        version = self._version
        if resolved is None or resolved.version != version:
            given, environ = self._options, self._environ()
            resolved = _Resolved(version, given, environ, resolve_settings(given, environ=environ))
            self._resolved = resolved
        if not options:
            return resolved.settings
        key = _cache_key(options)
        if key is not None:
            found = resolved.per_call.get(key)
            if found is not None:
                return found
        check_option_names(options)
        settings = resolve_settings(options, resolved.options, environ=resolved.environ)
        if key is not None:
            with self._lock:
                if len(resolved.per_call) >= _PER_CALL:
                    resolved.per_call.pop(next(iter(resolved.per_call)))
                resolved.per_call[key] = settings
        return settings

    def _restore(self, previous: Mapping[str, Any]) -> None:
        """Put back what :meth:`override` replaced, unchecked: those values were valid when
        they were set, and a restore that could be refused (the environment changed in
        between) would leave the override in place. The next call reports such a change."""
        with self._lock:
            self._options = _applied(self._options, previous)
            self._version += 1

    def _checked(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The options with ``changes`` applied, once they resolve with the environment the
        next call reads; else :class:`ConfigurationError` (which names the variable when the
        value at fault comes from the environment). Called with ``self._lock`` held."""
        options = _applied(self._options, changes)
        resolve_settings(options, environ=self._environ())
        return options

    def _environ(self) -> dict[str, str]:
        """The environment variables the settings depend on, as they are now."""
        names = _ENV_NAMES if self._environment_keys else _ENV_NAMES_WITHOUT_KEYS
        return {name: os.environ[name] for name in names if name in os.environ}

    # --- the call time ------------------------------------------------------------------

    @contextlib.contextmanager
    def call_scope(
        self,
        *,
        at: Optional[datetime] = None,
        should_stop: Optional[Callable[[int], Optional[BaseException]]] = None,
    ) -> Iterator[CallScope]:
        """For the calls of this client made inside the block (in this thread or task):
        the call time ``at`` and the ``should_stop`` check of a :class:`CallScope`, which
        the block yields and which collects the operations they sent. Blocks nest; the
        innermost wins."""
        if at is not None and at.tzinfo is None:
            raise ValueError("at: must be an aware datetime")
        scope = CallScope(at, should_stop)
        token = _SCOPE.set((self, scope))
        try:
            yield scope
        finally:
            _SCOPE.reset(token)

    def _scope(self) -> Optional[CallScope]:
        current = _SCOPE.get()
        return current[1] if current is not None and current[0] is self else None

    def _now(self) -> datetime:
        """The call time: the scope's, else the client's clock."""
        scope = self._scope()
        return scope.at if scope is not None and scope.at is not None else self._clock()

    # --- the legacy calls ---------------------------------------------------------------

    def track(
        self,
        event: Any,
        customer_properties: Optional[Mapping[str, Any]] = None,
        properties: Optional[Mapping[str, Any]] = None,
        time: Any = None,
        ip: Optional[str] = None,
        *,
        is_test: bool = False,
        normalised: tuple[Notice, ...] = (),
        **options: Any,
    ) -> Union[int, Plan]:
        """Legacy ``/api/track`` → ``POST /api/events`` (or ``/client/events`` with only a
        public key). ``event`` may be a whole legacy payload ``{"token", "event",
        "customer_properties", "properties", "time", "ip"}``. Returns ``1`` as legacy did,
        or the :class:`Plan` in dry-run. ``normalised``: what the leniency policy already did
        to the payload on its way in (a repaired base64 ``data=``), reported with the call."""
        settings = self.settings(**options)
        call: Any
        if isinstance(event, Mapping):
            if any(v is not None for v in (customer_properties, properties, time, ip)):
                raise TranslationError(
                    "event", "a whole legacy payload comes alone, without the other arguments"
                )
            call = PayloadCall("track", event, is_test, normalised)
        else:
            call = parse_track(
                event,
                customer_properties,
                properties,
                time,
                ip,
                is_test=is_test,
                naive=settings.options.naive_datetime,
                now=self._now(),
                strict=settings.options.strict,
                notes=normalised,
            )
        return cast("Union[int, Plan]", self._run(Request(call), settings, options))

    def identify(
        self,
        properties: Optional[Mapping[str, Any]] = None,
        *,
        is_test: bool = False,
        normalised: tuple[Notice, ...] = (),
        **options: Any,
    ) -> Union[int, Plan]:
        """Legacy ``/api/identify`` → ``POST /api/profile-import`` (create or update).
        ``properties`` may be a whole legacy payload ``{"token", "properties"}``. Returns
        ``1`` as legacy did, or the :class:`Plan` in dry-run."""
        settings = self.settings(**options)
        call: Any
        if is_identify_payload(properties):
            assert properties is not None
            call = PayloadCall("identify", properties, is_test, normalised)
        else:
            call = parse_identify(
                properties, is_test=is_test, strict=settings.options.strict, notes=normalised
            )
        return cast("Union[int, Plan]", self._run(Request(call), settings, options))

    def subscribe_to_list(
        self, list_id: str, profiles: Iterable[Mapping[str, Any]], **options: Any
    ) -> Any:
        """Legacy ``POST /v2/list/{id}/subscribe`` → property upserts plus subscribe jobs of
        ``subscribe_chunk_size`` profiles. ``profiles`` is any iterable of v2 profile dicts.
        Returns the subscribed members (``[]`` for a double opt-in list), a
        ``SubscribeReport`` with ``return_members=False``, or the :class:`Plan`."""
        settings = self.settings(**options)
        call = SubscribeCall(parse_list_id(list_id), profiles)
        return self._run(Request(call), settings, options)

    def unsubscribe(
        self,
        list_id: str,
        emails: Iterable[str] = (),
        phone_numbers: Iterable[str] = (),
        *,
        push_tokens: Iterable[str] = (),
        **options: Any,
    ) -> Any:
        """Legacy ``DELETE /v2/list/{id}/subscribe`` → membership lookup, then unsubscribe
        jobs for list members only (``unsubscribe_globally=True`` for everyone). Returns an
        ``UnsubscribeReport`` (unsubscribed and skipped), or the :class:`Plan`."""
        settings = self.settings(**options)
        call = UnsubscribeCall(
            parse_list_id(list_id),
            string_list(emails, "emails"),
            string_list(phone_numbers, "phone_numbers"),
            string_list(push_tokens, "push_tokens"),
        )
        return self._run(Request(call), settings, options)

    def exclude_email(self, email: Union[str, Iterable[str]], **options: Any) -> Any:
        """Legacy ``POST /v1/people/exclusions`` → suppression jobs for the emails not
        suppressed yet. Returns ``{"already_excluded": bool, "num_excluded": int}``, or the
        :class:`Plan`."""
        settings = self.settings(**options)
        call = ExcludeEmailCall(string_list(email, "email"))
        return self._run(Request(call), settings, options)

    def call(self, call: Any, **options: Any) -> Any:
        """Run one typed legacy call (the values of ``_translate/<resource>.py``, which the
        legacy SDK classes and the raw-HTTP parser build): the legacy response body, or the
        :class:`Plan` in dry-run."""
        return self._run(Request(call), self.settings(**options), options)

    def run(self, request: Request, **options: Any) -> Any:
        """Run a legacy call as a way in parsed it (``_wire.parse_legacy_request`` for raw
        HTTP): the legacy result, or the :class:`Plan` in dry-run. The keys the request
        carried win over the configured ones (contract §1): its ``api_key`` is the private
        key unless ``options`` name a ``private_key``, and a payload's ``token`` is combined
        as ``_credentials.combine`` says."""
        return self._run(request, self.settings(**options), options)

    def execute(
        self, call: LegacyCall, settings: Settings, carried: Optional[Credentials] = None
    ) -> Any:
        """Translate ``call`` and run it with ``settings``: the legacy result, or the
        :class:`Plan` in dry-run (see ``_execute.execute``).

        ``carried`` are keys the legacy request carried itself (``token``, ``api_key``);
        they win over configured ones (contract §1), and a key given as private wins over a
        ``pk_`` key given as public (``_credentials.combine``).
        """
        keys = settings.credentials if carried is None else combine(carried, settings.credentials)
        return execute(
            call,
            keys,
            settings,
            self._carrier,
            clock=self._now,
            scope=self._scope(),
            batcher=self.batcher,
        )

    @staticmethod
    def context(settings: Settings, credentials: Optional[Credentials] = None) -> RequestContext:
        """What ``prepare`` adds to the requests of a call with ``settings`` (and
        ``credentials``, by default the configured ones)."""
        return request_context(settings, credentials)

    def _run(self, request: Request, settings: Settings, options: Mapping[str, Any]) -> Any:
        """The one entry path of every legacy call: a whole payload is typed (at the call
        time, its ``token`` split off), the ``api_key`` the request carried takes the private
        slot (unless ``options`` name a ``private_key``), and the call goes to
        :meth:`execute`."""
        call, carried = request.call, None
        if isinstance(call, PayloadCall):
            call, token = parse_payload(
                call,
                naive=settings.options.naive_datetime,
                strict=settings.options.strict,
                now=self._now(),
            )
            carried = _carried_token(token)
        if request.api_key is not None and "private_key" not in options:
            keys = with_private_key(settings.credentials, request.api_key)
            settings = attrs.evolve(settings, credentials=keys)
        return self.execute(call, settings, carried)

    # --- bulk mode ----------------------------------------------------------------------

    def batcher(self, settings: Optional[Settings] = None) -> Batcher:
        """The buffer of bulk mode, for the configured ``spool_path`` (a batcher for another
        path is flushed and closed first). A dry run keeps the current one whatever its
        path: it holds nothing in a spool, and never opens one."""
        settings = settings or self.settings()
        spool = settings.batch.spool_path
        current = self._batcher
        if current is not None and (current.spool_path == spool or settings.dry_run):
            return current  # every batched call asks: no lock on the common path
        with self._lock:
            current = self._batcher
            if current is not None and current.spool_path == spool:
                return current
            self._batcher = None
        if current is not None:
            current.close()
        with self._lock:
            batcher = self._batcher
            created = batcher is None
            if batcher is None:
                batcher = self._batcher = Batcher(
                    self._carrier, settings=self.settings, spool_path=spool
                )
        if created and not settings.dry_run and settings.credentials.private_key is not None:
            # A live batcher opens its spool now, and what an earlier process left there for
            # the configured key goes out.
            batcher.account(settings, self.context(settings))
        return batcher

    def flush(self, *, raise_errors: bool = True) -> Union[FlushReport, Plan]:
        """Send what bulk mode holds now: the :class:`FlushReport`; in dry-run the
        :class:`Plan` of the bulk requests a flush would send. Raises
        :class:`PartialDeliveryError` when anything was rejected or stays pending (unless
        ``raise_errors=False``)."""
        settings = self.settings()
        batcher = self._batcher
        if settings.dry_run:
            return batcher.plan(clear=True) if batcher is not None else Plan(())
        if batcher is None and settings.batch.spool_path is not None:
            batcher = self.batcher(settings)  # drains what an earlier process left
        if batcher is None:
            return FlushReport()
        return batcher.flush(raise_errors=raise_errors)

    def close(self) -> None:
        """Flush what bulk mode holds, then release pooled connections and worker threads."""
        batcher, self._batcher = self._batcher, None
        if batcher is not None:
            batcher.close()
        self._carrier.close()


def _carried_token(token: Optional[str]) -> Optional[Credentials]:
    """The key a track/identify payload carried as ``token``: a public slot (a ``pk_`` key
    there is used as the private key, ``_credentials.KEY_SHAPES``)."""
    return None if token is None else credentials(public=(Key("token", token),))


#: The environment variables settings depend on (the cache key of ``settings()``).
_ENV_NAMES = tuple(option.env for option in OPTIONS.values() if option.env)
_ENV_NAMES_WITHOUT_KEYS = tuple(
    option.env
    for name, option in OPTIONS.items()
    if option.env and name not in ("private_key", "public_key")
)


def _applied(options: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``options`` with ``changes`` made (``None`` removes an option)."""
    updated = dict(options)
    for name, value in changes.items():
        if value is None:
            updated.pop(name, None)
        else:
            updated[name] = value
    return updated


#: Option values a per-call settings cache key may hold: immutable, and told apart by type
#: too (``True == 1`` in Python, but ``max_attempts=True`` is refused where ``1`` is not).
_PLAIN = (str, int, float, bool, type(None))


def _cache_key(options: Mapping[str, Any]) -> Optional[tuple[Any, ...]]:
    """``options`` as a key of the per-call settings cache, or ``None`` when a value is not
    a plain immutable one (a list, an object of the caller's): those are resolved each time,
    so no cached settings can outlive a change to them."""
    key = []
    for name in sorted(options):
        frozen = _frozen(options[name])
        if frozen is None:
            return None
        key.append((name, frozen))
    return tuple(key)


def _frozen(value: Any) -> Optional[tuple[Any, ...]]:
    kind = type(value)
    if kind in _PLAIN:
        return (kind, value)
    if kind is Key and type(value.value) is str:
        return (Key, value.slot, value.value)
    if kind is tuple:
        items = [_frozen(item) for item in value]
        return None if None in items else (tuple, *items)
    return None
