"""The one path every legacy call takes, whatever way it came in.

Every way in (the module functions, ``CompatClient``'s methods, the ``klaviyo`` 3.1.7 and
2.x classes, ``klaviyo-sdk``, raw HTTP through the adapter, the gateway and the CLI) parses
its input into a typed call (``_calls``, ``_translate/<resource>.py``) and the keys it
carried; the client resolves its :class:`~._config.Settings` and the call's
:class:`~._credentials.Credentials` and hands them to :func:`execute`, which translates the
call into a flow and runs it one of three ways:

- live: each planned request is prepared (``_prepare.prepare``: the only place a key meets a
  request) and sent through the client's :class:`~._carrier.Carrier`;
- dry-run: a recorder answers each request as Klaviyo would and the :class:`Plan` of what
  would be sent comes back (:func:`record`);
- bulk mode: what a bulk request can carry is captured into the client's
  :class:`~._batching.Batcher` instead of being sent, and answered as Klaviyo answers it
  (:func:`capturing`); the rest goes as usual.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._bulk.batching import Batcher
from klaviyo_legacy_compat._core.calls import IdentifyCall, SubscribeCall, TrackCall
from klaviyo_legacy_compat._core.config import Settings
from klaviyo_legacy_compat._core.credentials import Credentials
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._core.flow import Flow, Notice, Step, default_reply, run
from klaviyo_legacy_compat._core.models import PlannedRequest, RawResponse
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.prepare import RequestContext, prepare
from klaviyo_legacy_compat._core.translate import translate
from klaviyo_legacy_compat._core.translate.batches import KINDS, Item, capture
from klaviyo_legacy_compat._surfaces.audit_log import call_site, line_of, write_line
from klaviyo_legacy_compat._surfaces.lifecycle import check_revision
from klaviyo_legacy_compat._transports.carrier import Carrier

__all__ = ["CallScope", "capturing", "execute", "log_notice", "record", "request_context"]

logger = logging.getLogger("klaviyo_legacy_compat")

_NO_PRIVATE_KEY = (
    "no private API key is configured: this plan shows where it goes, and a live call would "
    "raise ConfigurationError (set private_key or KLAVIYO_PRIVATE_API_KEY)"
)


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


#: The leniency kinds already logged at WARNING in this process (``_leniency``: once per kind
#: per process, later ones at DEBUG, so a backfill of loose payloads does not flood the log).
_LOGGED_KINDS: set[str] = set()
_LOGGED_LOCK = threading.Lock()


def log_notice(item: Notice) -> None:
    """Log what a live call reports (a normalisation, a behaviour difference)."""
    level = item.level
    if item.kind is not None:
        with _LOGGED_LOCK:
            first = item.kind not in _LOGGED_KINDS
            _LOGGED_KINDS.add(item.kind)
        if not first:
            level = logging.DEBUG
    logger.log(level, "%s", item.text)


def request_context(
    settings: Settings, credentials: Optional[Credentials] = None
) -> RequestContext:
    """What ``prepare`` adds to the requests of a call with ``settings`` (and
    ``credentials``, by default the configured ones)."""
    return RequestContext(
        base_url=settings.base_url,
        revision=settings.revision,
        credentials=credentials or settings.credentials,
        timeout=settings.timeout,
    )


#: Calls bulk mode may hold: what their translators plan is captured, the rest is sent.
_BATCHED = (TrackCall, IdentifyCall, SubscribeCall)


def execute(
    call: Any,
    credentials: Credentials,
    settings: Settings,
    carrier: Carrier,
    *,
    clock: Callable[[], datetime],
    scope: Optional[CallScope] = None,
    batcher: Optional[Callable[[Settings], Batcher]] = None,
) -> Any:
    """Translate ``call`` and run it with ``credentials`` (the keys of this call: configured,
    and those its legacy request carried): the legacy result, or the :class:`Plan` in
    dry-run.

    ``carrier`` sends live requests; ``clock`` is the call time (the scope's, else the
    client's); ``scope`` collects the operations and may stop the call
    (:class:`CallScope`); ``batcher`` gives the bulk-mode buffer for ``settings`` (its own
    ``spool_path``), which holds what bulk mode carries when ``batching`` is on.
    With ``audit_log`` set, the call's line is appended to it (``_audit_log``).
    """
    check_revision(settings.revision)  # a RevisionWarning once, when it is deprecated
    if settings.audit_log is not None:
        return _audited(call, credentials, settings, carrier, clock, scope, batcher)
    return _execute(call, credentials, settings, carrier, clock, scope, batcher)[0]


def _audited(
    call: Any,
    credentials: Credentials,
    settings: Settings,
    carrier: Carrier,
    clock: Callable[[], datetime],
    scope: Optional[CallScope],
    batcher: Optional[Callable[[Settings], Batcher]],
) -> Any:
    """:func:`execute`, and its line in the ``audit_log`` (``_audit_log``): the call site,
    found before the call runs, and the operations and outcome, once it has."""
    assert settings.audit_log is not None
    site = call_site()
    own = scope if scope is not None else CallScope()
    first = len(own.operations)
    outcome = "error:unknown"
    started = time.perf_counter()
    try:
        result, held = _execute(call, credentials, settings, carrier, clock, own, batcher)
        outcome = "dry-run" if settings.dry_run else "held" if held else "ok"
        return result
    except BaseException as error:
        outcome = f"error:{type(error).__name__}"
        raise
    finally:
        try:
            line = line_of(
                site, call, own.operations[first:], outcome, time.perf_counter() - started
            )
        except Exception:  # an unusable record never breaks the call
            logger.debug("audit_log: a record could not be made", exc_info=True)
        else:
            write_line(settings.audit_log, line)


def _execute(
    call: Any,
    credentials: Credentials,
    settings: Settings,
    carrier: Carrier,
    clock: Callable[[], datetime],
    scope: Optional[CallScope],
    batcher: Optional[Callable[[Settings], Batcher]],
) -> tuple[Any, bool]:
    """:func:`execute`'s result, and whether bulk mode held the call."""
    server_side = credentials.server_side or not isinstance(call, (TrackCall, IdentifyCall))
    flow = translate(call, server_side=server_side, options=settings.options)
    context = request_context(settings, credentials)
    held: Optional[tuple[Batcher, str]] = None
    if settings.batch.batching and batcher is not None and isinstance(call, _BATCHED):
        # This call's batcher (its own spool_path, if it has one) holds its items too.
        buffer = batcher(settings)
        account = buffer.account(settings, context)
        if account is not None:  # None: not batched (no private key), sent as planned
            held = (buffer, account)
    if settings.dry_run:
        return record(flow, context, server_side, held, clock=clock, scope=scope), held is not None
    for note in credentials.notes:
        log_notice(note)
    if server_side and credentials.private_key is None:
        raise ConfigurationError(
            "this call needs a private API key (private_key, or KLAVIYO_PRIVATE_API_KEY)"
        )
    transport = carrier.transport(settings.delivery)

    def send(step: Step) -> RawResponse:
        return transport.send(prepare(step.request, context))

    transmit = send if held is None else capturing(send, *held, dry_run=False)
    result = run(
        flow,
        _recorded(transmit, scope),
        log_notice,
        carrier.sender(settings.options.max_concurrency),
        clock=clock,
        should_stop=scope.should_stop if scope is not None else None,
    )
    return result, held is not None


def record(
    flow: Flow[Any],
    context: RequestContext,
    server_side: bool,
    held_by: Optional[tuple[Batcher, str]] = None,
    *,
    clock: Callable[[], datetime],
    scope: Optional[CallScope] = None,
) -> Plan:
    """Dry-run: the :class:`Plan` of ``flow``, each request answered as Klaviyo would; with
    ``held_by`` (a batcher and the account in it), what bulk mode carries is held there and
    named in a warning."""
    requests: list[PlannedRequest] = []
    warnings = [note.text for note in context.credentials.notes]
    if server_side and context.credentials.private_key is None:
        warnings.append(_NO_PRIVATE_KEY)

    def answer(step: Step) -> RawResponse:
        requests.append(step.request)
        return step.dry_run_reply or default_reply(step.request)

    transmit: Callable[[Step], RawResponse] = answer
    if held_by is not None:
        held = capturing(answer, *held_by, dry_run=True)

        def transmit(step: Step) -> RawResponse:
            items = capture(step.request)
            if items:  # an empty capture holds nothing: no request will carry it
                warnings.append(
                    f"batching: {step.request.operation} is held and sent with the next "
                    f"bulk request ({_bulk_requests(items)}); flush() shows it"
                )
            return held(step)

    run(
        flow,
        _recorded(transmit, scope),
        lambda item: warnings.append(item.text),
        clock=clock,
        should_stop=scope.should_stop if scope is not None else None,
    )
    return Plan(tuple(requests), tuple(warnings), context)


def capturing(
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


def _bulk_requests(items: Iterable[Item]) -> str:
    """The bulk requests that will carry ``items`` (for the dry-run warning), from what
    ``batches`` says carries each kind: an operation added to its ``CAPTURED`` is named
    here without a second table to keep in step."""
    rows = (endpoint(KINDS[kind]) for kind in sorted({item.kind for item in items}))
    return ", ".join(f"{row.method} {row.path}" for row in rows)
