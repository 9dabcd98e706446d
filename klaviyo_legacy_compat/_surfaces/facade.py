"""The module-level legacy-shaped functions (contract §2.2), over one default client.

Like ``stripe.api_key = ...``: ``configure()`` sets module defaults, every function takes the
same options per call, and the environment fills in what neither gives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Optional, Union

from klaviyo_legacy_compat._bulk.batching import Batcher, FlushReport
from klaviyo_legacy_compat._core.plan import Plan

from .client import CompatClient

__all__ = [
    "batching",
    "configure",
    "default_client",
    "exclude_email",
    "flush",
    "identify",
    "subscribe_to_list",
    "track",
    "unsubscribe",
]

_DEFAULT = CompatClient()


def default_client() -> CompatClient:
    """The client behind the module-level functions."""
    return _DEFAULT


def configure(**options: Any) -> None:
    """Set module defaults: ``private_key``, ``public_key``, ``base_url``, ``revision``,
    ``dry_run``, ``timeout``, ``subscribe_chunk_size`` (≤ 1000), ``bulk_import_threshold``,
    ``naive_datetime`` (``"local"``/``"utc"``), ``identify_mode`` (``"upsert"``/``"split"``),
    ``identify_conflict`` (``"drop_phone"``/``"drop_email"``/``"raise"``), ``test_calls``
    (``"skip"``/``"send"``), ``return_members``, ``member_ids`` (look up the Klaviyo ids of
    subscribed members: one ``GET /api/profiles`` per 100 identifiers of each kind),
    ``unsubscribe_globally``, ``derive_unique_id``, ``max_concurrency``, ``pacing``,
    ``retry_budget``, ``connect_retry_budget`` (how long a call that cannot reach Klaviyo
    keeps trying), ``max_attempts``, ``time_scale``, ``rate_limit_redis_url``, ``strict``
    (refuse what the leniency policy would normalise), ``default_phone_region`` (``"US"``:
    read national phone numbers of that region), and for bulk mode
    ``batching``, ``batch_max_age``, ``spool_path``, ``wait_for_jobs``, ``shutdown_timeout``;
    ``audit_log`` (a file to append one JSON line per legacy call to: its call site, legacy
    method, operations and outcome). ``None`` resets an option to its environment or default
    value; the environment is read again at the next call. A value refused (alone, or with
    the environment) raises :class:`ConfigurationError` and changes nothing."""
    _DEFAULT.configure(**options)


def track(
    event: Any,
    customer_properties: Optional[Mapping[str, Any]] = None,
    properties: Optional[Mapping[str, Any]] = None,
    time: Any = None,
    ip: Optional[str] = None,
    **options: Any,
) -> Union[int, Plan]:
    """Legacy track: ``POST /api/events`` with a private key, ``POST /client/events`` with
    only a public key. Returns ``1`` (accepted for processing), or the :class:`Plan`.

    ``event`` is the metric name, or a whole legacy payload ``{"token", "event",
    "customer_properties", "properties", "time", "ip"}``. ``time`` is unix seconds, a numeric
    or ISO-8601 string, or a datetime (naive = local time unless ``naive_datetime="utc"``);
    the call time when absent. ``is_test=True`` is accepted as in the legacy SDKs.
    """
    return _DEFAULT.track(event, customer_properties, properties, time, ip, **options)


def identify(properties: Optional[Mapping[str, Any]] = None, **options: Any) -> Union[int, Plan]:
    """Legacy identify: create or update the profile (``POST /api/profile-import``; with
    ``identify_mode="split"``, create then PATCH on 409; with only a public key, ``POST
    /client/profiles``). ``properties`` holds ``$email``/``$id``/``$phone_number`` and the
    other legacy keys, or is a whole payload ``{"token", "properties"}``. Returns ``1``."""
    return _DEFAULT.identify(properties, **options)


def subscribe_to_list(list_id: str, profiles: Iterable[Mapping[str, Any]], **options: Any) -> Any:
    """Legacy ``POST /v2/list/{id}/subscribe``: v2 profile dicts (``email``,
    ``phone_number``, ``sms_consent``, ``$consent``, custom properties), any iterable of any
    length, sent in subscribe jobs of ``subscribe_chunk_size`` (default 100), with property
    upserts for what a subscribe job cannot carry. Returns the members
    ``[{"id", "email", "phone_number"}]`` with their Klaviyo ids (an upsert's answer, else one
    ``GET /api/profiles`` per 100 identifiers of each kind after the jobs; ``member_ids=False``
    skips it; ``None`` for a profile the asynchronous job has not created yet), ``[]`` for a
    double opt-in list, or a ``SubscribeReport`` with ``return_members=False``."""
    return _DEFAULT.subscribe_to_list(list_id, profiles, **options)


def unsubscribe(
    list_id: str, emails: Iterable[str] = (), phone_numbers: Iterable[str] = (), **options: Any
) -> Any:
    """Legacy ``DELETE /v2/list/{id}/subscribe``: only the given profiles that are on the list
    are unsubscribed (the new job would unsubscribe the others from all marketing); pass
    ``unsubscribe_globally=True`` to send everyone. Legacy removed them from the list only;
    the new job records an UNSUBSCRIBED marketing consent (per channel) for them. Returns an
    ``UnsubscribeReport``."""
    return _DEFAULT.unsubscribe(list_id, emails, phone_numbers, **options)


def exclude_email(email: Union[str, Iterable[str]], **options: Any) -> Any:
    """Legacy ``POST /v1/people/exclusions``: suppress the email (or emails) from all email
    marketing. Returns ``{"already_excluded": bool, "num_excluded": int}``."""
    return _DEFAULT.exclude_email(email, **options)


@contextlib.contextmanager
def batching(client: Optional[CompatClient] = None, **options: Any) -> Iterator[Batcher]:
    """Bulk mode for the calls made inside the block, on every thread::

        with klaviyo_legacy_compat.batching(batch_max_age=2.0) as batch:
            for order in backlog:
                klaviyo_client.Public.track("Placed Order", email=order.email, ...)

    Legacy track and identify calls (and a large subscribe's property upserts) are held and
    sent as bulk jobs; each still returns the legacy ``1``. ``options`` are configured for
    the block (``batch_max_age``, ``spool_path``, ``wait_for_jobs``, ``dry_run``, ...) and
    restored after it. Leaving the block flushes, and raises
    :class:`PartialDeliveryError` if anything was rejected or stays pending; in dry-run,
    ``batch.plan()`` inside the block shows the bulk requests, and nothing is sent.
    """
    target = client or _DEFAULT
    previous = target.override(batching=True, **options)
    try:
        batcher = target.batcher()
        failed = False
        try:
            yield batcher
        except BaseException:
            failed = True
            raise
        finally:
            if target.settings().dry_run:
                batcher.plan(clear=True)
            else:
                batcher.flush(raise_errors=not failed)
    finally:
        target._restore(previous)


def flush(*, raise_errors: bool = True) -> Union[FlushReport, Plan]:
    """Send what bulk mode holds now (see :meth:`CompatClient.flush`)."""
    return _DEFAULT.flush(raise_errors=raise_errors)
