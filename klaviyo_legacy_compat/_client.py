"""``CompatClient``: the five legacy calls, planned or sent, with its own configuration.

The client resolves settings (arguments → environment → defaults), builds the typed call,
asks the translation core for a flow and runs it: in dry-run with a recording sender that
returns a :class:`Plan`, live through ``prepare`` and the transport. It is the only place
that holds keys next to translated requests, and it hands them to ``prepare`` alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Optional, Union, cast

import attrs

from ._batching import Batcher, FlushReport
from ._calls import (
    IDENTIFY_PAYLOAD_KEYS,
    TRACK_PAYLOAD_KEYS,
    ExcludeEmailCall,
    IdentifyCall,
    LegacyCall,
    SubscribeCall,
    TrackCall,
    UnsubscribeCall,
    parse_identify,
    parse_list_id,
    parse_track,
    split_payload,
    string_list,
)
from ._carrier import Carrier
from ._config import OPTIONS, Settings, check_option_names, resolve_settings
from ._credentials import Credentials, Key, combine, credentials
from ._endpoints import endpoint
from ._errors import ConfigurationError, TranslationError
from ._flow import Flow, Notice, Step, default_reply, run
from ._models import PlannedRequest, RawResponse
from ._plan import Plan
from ._prepare import RequestContext, prepare
from ._translate import translate
from ._translate.batches import KINDS, Item, capture
from ._transport import Transport
from ._wire import Invocation

if TYPE_CHECKING:
    import requests  # noqa: TID251 - only for the type of the optional session argument

__all__ = ["CallScope", "CompatClient"]

logger = logging.getLogger("klaviyo_legacy_compat")

_NO_PRIVATE_KEY = (
    "no private API key is configured: this plan shows where it goes, and a live call would "
    "raise ConfigurationError (set private_key or KLAVIYO_PRIVATE_API_KEY)"
)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@attrs.define
class CallScope:
    """What :meth:`CompatClient.call_scope` sets for the calls made inside it, and what they
    report back.

    - ``at``: the call time (an aware datetime) in place of the client's clock: what an
      event without a time of its own is stamped with, and so part of its derived
      ``unique_id``. The same call made twice with the same ``at`` is the same event, and
      Klaviyo keeps one (a gateway reuses it for a client's retry).
    - ``should_stop``: asked before each request with the number of requests the call has
      sent; an exception it returns is raised into the call in place of that request, as a
      transport failure would be (see ``_flow.run``).
    - ``operations``: the new-API operations the calls sent (or bulk mode held), in order.
    """

    at: Optional[datetime] = None
    should_stop: Optional[Callable[[int], Optional[BaseException]]] = None
    operations: list[str] = attrs.field(factory=list)


#: The scope of the calls running in this context, with the client it belongs to.
_SCOPE: contextvars.ContextVar[Optional[tuple[CompatClient, CallScope]]] = contextvars.ContextVar(
    "klaviyo_legacy_compat_call_scope", default=None
)


#: The leniency kinds already logged at WARNING in this process (``_leniency``: once per kind
#: per process, later ones at DEBUG, so a backfill of loose payloads does not flood the log).
_LOGGED_KINDS: set[str] = set()
_LOGGED_LOCK = threading.Lock()


def _log_notice(item: Notice) -> None:
    level = item.level
    if item.kind is not None:
        with _LOGGED_LOCK:
            first = item.kind not in _LOGGED_KINDS
            _LOGGED_KINDS.add(item.kind)
        if not first:
            level = logging.DEBUG
    logger.log(level, "%s", item.text)


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
        # (options version, environment snapshot, settings); see settings().
        self._version = 0
        self._cached: Optional[tuple[int, dict[str, str], Settings]] = None
        self._batcher: Optional[Batcher] = None

    def __repr__(self) -> str:
        # Options may hold keys: show only their names.
        return f"CompatClient(options={sorted(self._options)})"

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

    def settings(self, **options: Any) -> Settings:
        """The settings a call with ``options`` would run with.

        The environment is read when the client first needs its settings and again after
        each ``configure()`` call (``configure()`` with no arguments just re-reads it):
        reading it on every call would cost more than translating one. Per-call options
        are resolved on top of that snapshot.
        """
        cached = self._cached
        version = self._version
        if cached is None or cached[0] != version:
            environ = self._environ()
            cached = (version, environ, resolve_settings(self._options, environ=environ))
            self._cached = cached
        if options:
            check_option_names(options)
            return resolve_settings(options, self._options, environ=cached[1])
        return cached[2]

    def close(self) -> None:
        """Flush what bulk mode holds, then release pooled connections and worker threads."""
        batcher, self._batcher = self._batcher, None
        if batcher is not None:
            batcher.close()
        self._carrier.close()

    @property
    def carrier(self) -> Carrier:
        """This client's delivery machinery (transports, pacers, worker threads), which its
        calls and its bulk mode share."""
        return self._carrier

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
        token: Optional[str] = None
        ignored: tuple[str, ...] = ()
        if isinstance(event, Mapping):
            if any(v is not None for v in (customer_properties, properties, time, ip)):
                raise TranslationError(
                    "event", "a whole legacy payload comes alone, without the other arguments"
                )
            values, token, ignored = split_payload(event, TRACK_PAYLOAD_KEYS)
            event, customer_properties, properties = (
                values["event"],
                values["customer_properties"],
                values["properties"],
            )
            time, ip = values["time"], values["ip"]
        call = parse_track(
            event,
            customer_properties,
            properties,
            time,
            ip,
            is_test=is_test,
            naive=settings.options.naive_datetime,
            now=self._now(),
            ignored_keys=ignored,
            strict=settings.options.strict,
            notes=normalised,
        )
        return cast("Union[int, Plan]", self.execute(call, settings, _carried_token(token)))

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
        token: Optional[str] = None
        ignored: tuple[str, ...] = ()
        if _is_identify_payload(properties):
            assert properties is not None
            values, token, ignored = split_payload(properties, IDENTIFY_PAYLOAD_KEYS)
            properties = values["properties"]
        call = parse_identify(
            properties,
            is_test=is_test,
            ignored_keys=ignored,
            strict=settings.options.strict,
            notes=normalised,
        )
        return cast("Union[int, Plan]", self.execute(call, settings, _carried_token(token)))

    def subscribe_to_list(
        self, list_id: str, profiles: Iterable[Mapping[str, Any]], **options: Any
    ) -> Any:
        """Legacy ``POST /v2/list/{id}/subscribe`` → property upserts plus subscribe jobs of
        ``subscribe_chunk_size`` profiles. ``profiles`` is any iterable of v2 profile dicts.
        Returns the subscribed members (``[]`` for a double opt-in list), a
        ``SubscribeReport`` with ``return_members=False``, or the :class:`Plan`."""
        settings = self.settings(**options)
        call = SubscribeCall(parse_list_id(list_id), profiles)
        return self.execute(call, settings)

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
        return self.execute(call, settings)

    def exclude_email(self, email: Union[str, Iterable[str]], **options: Any) -> Any:
        """Legacy ``POST /v1/people/exclusions`` → suppression jobs for the emails not
        suppressed yet. Returns ``{"already_excluded": bool, "num_excluded": int}``, or the
        :class:`Plan`."""
        settings = self.settings(**options)
        return self.execute(ExcludeEmailCall(string_list(email, "email")), settings)

    def call(self, call: Any, **options: Any) -> Any:
        """Run one typed legacy call (the values of ``_translate/<resource>.py``, which the
        legacy SDK classes and the raw-HTTP parser build): the legacy response body, or the
        :class:`Plan` in dry-run."""
        return self.execute(call, self.settings(**options))

    def invoke(self, invocation: Invocation, **options: Any) -> Any:
        """Run a parsed raw legacy request (see ``_wire.parse_legacy_request``)."""
        if invocation.method not in _INVOCABLE:
            raise TypeError(f"{invocation.method!r} is not a legacy call of CompatClient")
        method = getattr(self, invocation.method)
        return method(*invocation.args, **invocation.kwargs, **{**invocation.options, **options})

    # --- running ------------------------------------------------------------------------

    def execute(
        self, call: LegacyCall, settings: Settings, carried: Optional[Credentials] = None
    ) -> Any:
        """Translate ``call`` and run it: the legacy result, or the :class:`Plan` in dry-run.

        ``carried`` are keys the legacy request carried itself (``token``, ``api_key``);
        they win over configured ones (contract §1), and a key given as private wins over a
        ``pk_`` key given as public (``_credentials.combine``).
        """
        credentials = settings.credentials
        if carried is not None:
            credentials = combine(carried, credentials)
        server_side = credentials.server_side or not isinstance(call, (TrackCall, IdentifyCall))
        flow = translate(call, server_side=server_side, options=settings.options)
        context = self.context(settings, credentials)
        held: Optional[tuple[Batcher, str]] = None
        if settings.batch.batching and isinstance(call, _BATCHED):
            # This call's batcher (its own spool_path, if it has one) holds its items too.
            batcher = self.batcher(settings)
            account = batcher.account(settings, context)
            if account is not None:  # None: not batched (no private key), sent as planned
                held = (batcher, account)
        if settings.dry_run:
            return self._plan(flow, context, server_side, held)
        for note in credentials.notes:
            _log_notice(note)
        if server_side and credentials.private_key is None:
            raise ConfigurationError(
                "this call needs a private API key (private_key, or KLAVIYO_PRIVATE_API_KEY)"
            )
        transport = self._carrier.transport(settings.delivery)
        scope = self._scope()

        def send(step: Step) -> RawResponse:
            return transport.send(prepare(step.request, context))

        transmit = send if held is None else self._capturing(send, *held, dry_run=False)
        return run(
            flow,
            _recorded(transmit, scope),
            _log_notice,
            self._carrier.sender(settings.options.max_concurrency),
            clock=self._now,
            should_stop=scope.should_stop if scope is not None else None,
        )

    @staticmethod
    def context(settings: Settings, credentials: Optional[Credentials] = None) -> RequestContext:
        """What ``prepare`` adds to the requests of a call with ``settings`` (and
        ``credentials``, by default the configured ones)."""
        return RequestContext(
            base_url=settings.base_url,
            revision=settings.revision,
            credentials=credentials or settings.credentials,
            timeout=settings.timeout,
        )

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

    @staticmethod
    def _capturing(
        transmit: Callable[[Step], RawResponse],
        batcher: Batcher,
        account: str,
        *,
        dry_run: bool,
    ) -> Callable[[Step], RawResponse]:
        """``transmit``, except that a request bulk mode carries is held in ``batcher``, not
        sent, and answered as Klaviyo answers it (202: accepted for processing)."""

        def held(step: Step) -> RawResponse:
            items = capture(step.request)
            if items is None or not batcher.add(items, account, dry_run=dry_run):
                return transmit(step)  # not bulk mode's, or it holds nothing more (shutdown)
            return default_reply(step.request)

        return held

    def _plan(
        self,
        flow: Flow[Any],
        context: RequestContext,
        server_side: bool,
        held_by: Optional[tuple[Batcher, str]] = None,
    ) -> Plan:
        """The :class:`Plan` of ``flow``; with ``held_by`` (a batcher and the account in it),
        what bulk mode carries is held there and named in a warning."""
        requests: list[PlannedRequest] = []
        warnings = [note.text for note in context.credentials.notes]
        if server_side and context.credentials.private_key is None:
            warnings.append(_NO_PRIVATE_KEY)

        def record(step: Step) -> RawResponse:
            requests.append(step.request)
            return step.dry_run_reply or default_reply(step.request)

        transmit: Callable[[Step], RawResponse] = record
        if held_by is not None:
            held = self._capturing(record, *held_by, dry_run=True)

            def transmit(step: Step) -> RawResponse:
                items = capture(step.request)
                if items:  # an empty capture holds nothing: no request will carry it
                    warnings.append(
                        f"batching: {step.request.operation} is held and sent with the next "
                        f"bulk request ({_bulk_requests(items)}); flush() shows it"
                    )
                return held(step)

        scope = self._scope()
        run(
            flow,
            _recorded(transmit, scope),
            lambda item: warnings.append(item.text),
            clock=self._now,
            should_stop=scope.should_stop if scope is not None else None,
        )
        return Plan(tuple(requests), tuple(warnings), context)


def _recorded(
    transmit: Callable[[Step], RawResponse], scope: Optional[CallScope]
) -> Callable[[Step], RawResponse]:
    """``transmit``, noting each operation in ``scope`` (if any) first."""
    if scope is None:
        return transmit

    def recording(step: Step) -> RawResponse:
        scope.operations.append(step.request.operation)
        return transmit(step)

    return recording


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


#: Calls bulk mode may hold: what their translators plan is captured, the rest is sent.
_BATCHED = (TrackCall, IdentifyCall, SubscribeCall)


def _bulk_requests(items: Iterable[Item]) -> str:
    """The bulk requests that will carry ``items`` (for the dry-run warning), from what
    ``batches`` says carries each kind: an operation added to its ``CAPTURED`` is named
    here without a second table to keep in step."""
    rows = (endpoint(KINDS[kind]) for kind in sorted({item.kind for item in items}))
    return ", ".join(f"{row.method} {row.path}" for row in rows)


_INVOCABLE = frozenset(
    {"track", "identify", "subscribe_to_list", "unsubscribe", "exclude_email", "call"}
)


def _carried_token(token: Optional[str]) -> Optional[Credentials]:
    """The key a track/identify payload carried as ``token``: a public slot (a ``pk_`` key
    there is used as the private key, ``_credentials.KEY_SHAPES``)."""
    return None if token is None else credentials(public=(Key("token", token),))


def _is_identify_payload(value: Any) -> bool:
    # A whole payload has "token" or only "properties" (a dict); a profile dict with a custom
    # property literally named "properties" and other keys is still a profile dict.
    return isinstance(value, Mapping) and (
        "token" in value
        or (set(value) == {"properties"} and isinstance(value["properties"], Mapping))
    )
