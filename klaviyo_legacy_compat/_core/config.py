"""Configuration: arguments, then environment, then defaults (contract §1).

Every option is one row of :data:`OPTIONS`; nothing else reads the environment. Resolution
is pure: it is given the environment as a mapping.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

import attrs

from klaviyo_legacy_compat._version import REVISION

from . import revision as revisions
from .credentials import Credentials, Key, credentials, safe_url
from .endpoints import endpoint
from .errors import ConfigurationError
from .phone import REGIONS

__all__ = ["OPTIONS", "BatchMode", "Delivery", "Option", "Options", "Settings", "resolve_settings"]

Timeout = Union[float, tuple[float, float]]


@attrs.frozen
class Options:
    """What translators may know about the configuration: no keys, no hosts, no I/O knobs.

    - ``subscribe_chunk_size``: profiles per subscribe job (default 100, at most the
      documented 1000).
    - ``bulk_import_threshold``: a subscribe chunk with at least this many profiles that carry
      properties upserts them with one bulk import job instead of one upsert each; a members
      add of at least this many profiles writes them and adds them to the list with bulk
      import jobs instead of one upsert or lookup each.
    - ``naive_datetime``: ``"local"`` (what ``klaviyo`` 3.1.7 did via ``time.mktime``) or
      ``"utc"``.
    - ``identify_mode``: ``"upsert"`` (``POST /api/profile-import``) or ``"split"``
      (``POST /api/profiles``, then ``PATCH`` the duplicate on 409).
    - ``identify_conflict``: what to do when email and phone number belong to two different
      profiles (a 409 even on upsert): ``"drop_phone"`` retries without the phone number,
      ``"drop_email"`` without the email, ``"raise"`` raises :class:`ConflictError`.
    - ``test_calls``: legacy ``is_test=True`` track/identify calls are ``"skip"``-ped (not sent)
      or ``"send"``-t as ordinary calls.
    - ``return_members``: ``subscribe_to_list`` returns the legacy member list (``True``) or a
      constant-size :class:`SubscribeReport` (``False``, for streams of any length).
    - ``member_ids``: give the members ``subscribe_to_list`` returns their Klaviyo profile
      ids: the id a ``profile-import`` upsert answered, else one ``GET /api/profiles``
      lookup per 100 identifiers of each kind (email, phone number) after each group of
      chunks, on ``get_profiles``' rate limit. ``False`` skips the lookups: members carry
      only the ids the upserts answered, the others ``"id": None``. The same for the members
      a bulk members add returns.
    - ``unsubscribe_globally``: unsubscribe every given profile, not only list members.
    - ``derive_unique_id``: an event without ``$event_id`` gets a ``unique_id`` derived from
      the call (metric, profile, properties, call time), so two distinct events in one
      second are both kept and a retried call is still recorded once.
    - ``max_concurrency``: chunks of one large subscribe sent at once (within the endpoint's
      rate limits, which the pacer enforces).
    - ``strict``: refuse what the leniency policy (``_leniency.LENIENCY``) would normalise,
      with the errors raised before it existed, instead of normalising and warning.
    - ``default_phone_region``: an ISO 3166-1 region (``"US"``, ``"GB"``) whose national
      numbers (``(415) 555-0123``) are written as E.164; ``None``: only numbers with a
      country code are (``_phone.REGIONS`` lists the regions).
    - ``wait_for_jobs``: a bulk members add follows each of its profile import jobs until
      complete and raises :class:`PartialDeliveryError` with the profiles Klaviyo could not
      import (bulk mode reads the same option from :class:`BatchMode`).
    """

    subscribe_chunk_size: int = 100
    bulk_import_threshold: int = 10
    naive_datetime: str = "local"
    identify_mode: str = "upsert"
    identify_conflict: str = "drop_phone"
    test_calls: str = "skip"
    return_members: bool = True
    member_ids: bool = True
    unsubscribe_globally: bool = False
    derive_unique_id: bool = True
    max_concurrency: int = 4
    strict: bool = False
    default_phone_region: Optional[str] = None
    wait_for_jobs: bool = False


@attrs.frozen
class Delivery:
    """How the transport delivers: pacing and retries (``_pacing``, ``_retry``).

    - ``pacing``: hold requests back to stay within each endpoint's limits.
    - ``retry_budget``: seconds one request may take in all, attempts and waits included,
      while Klaviyo answers 429 or 5xx (or may have received it: a read timeout).
    - ``connect_retry_budget``: the same while Klaviyo cannot be reached (refused, DNS,
      connect timeout, TLS handshake), from the first such failure in a row; a call that
      cannot connect fails within it (``retry_budget`` still bounds the call).
    - ``max_attempts``: attempts per request, the first included.
    - ``time_scale``: shrinks the rate-limit windows, to pace against a time-scaled
      :class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`; 1 for Klaviyo itself.
    - ``rate_limit_redis_url``: pace through this Redis, so every process using it shares
      one budget per account (``_pacing_redis``); ``None``: each client paces alone. Its
      password never shows in the repr.
    """

    pacing: bool = True
    retry_budget: float = 120.0
    connect_retry_budget: float = 30.0
    max_attempts: int = 10
    time_scale: float = 1.0
    rate_limit_redis_url: Optional[str] = attrs.field(
        default=None, repr=lambda url: "None" if url is None else repr(safe_url(url))
    )


@attrs.frozen
class BatchMode:
    """Bulk mode (``_batching``): legacy track and identify calls held and sent as bulk jobs.

    - ``batching``: hold server-side track and identify calls (and a subscribe's property
      upserts) and send them as ``event-bulk-create-jobs`` / ``profile-bulk-import-jobs``.
    - ``batch_max_age``: the longest, in seconds, an item waits before a flush sends it.
    - ``spool_path``: keep held items in this SQLite file until Klaviyo accepted them, so a
      crash loses nothing (the next process drains it); ``None`` holds them in memory.
    - ``wait_for_jobs``: follow each profile import job until complete and hand back the
      profiles it could not import.
    - ``shutdown_timeout``: on SIGTERM or SIGINT (and in :func:`~._shutdown.shutdown`), the
      longest, in seconds, bulk mode spends sending what it holds before what is left is
      logged (without a spool) and the signal goes on; 0 sends nothing more. Well inside
      the time a supervisor waits before SIGKILL: gunicorn's ``graceful_timeout`` and
      Kubernetes' grace period are 30 s, ``docker stop`` and Cloud Run give 10 s.
    """

    batching: bool = False
    batch_max_age: float = 5.0
    spool_path: Optional[str] = None
    wait_for_jobs: bool = False
    shutdown_timeout: float = 5.0


@attrs.frozen
class Settings:
    """Everything one call runs with. ``credentials`` never reaches a translator."""

    credentials: Credentials
    options: Options
    delivery: Delivery = attrs.field(factory=Delivery)
    batch: BatchMode = attrs.field(factory=BatchMode)
    base_url: str = "https://a.klaviyo.com"
    revision: str = REVISION
    dry_run: bool = False
    timeout: Timeout = (3.05, 30.0)
    #: Append one JSON line per legacy call to this file (``_surfaces/audit_log``): its
    #: call site, legacy method, operations and outcome, never a key or a payload.
    audit_log: Optional[str] = None


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name}: must be a non-empty string")
    return value.strip()


def _key(name: str, value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    return _text(name, value)


def _api_key(name: str, value: Any) -> Optional[Key]:
    # Checked, with the other keys of the call, where credentials are made (_credentials):
    # here the key is only named by where it came from. Entry points that know a better
    # name (private_token, api_key) pass a Key.
    if value == "":
        return None
    return value if isinstance(value, Key) else Key(name, value)


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{name}: must be a boolean (or 1/0, true/false in the environment)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_url(name: str, value: Any) -> str:
    url = _text(name, value).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        pass
    elif parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        pass  # a local Klaviyo or test server; keys never leave the machine
    else:
        raise ConfigurationError(
            f"{name}: must be an https:// URL (plain http:// only for loopback hosts), got {url!r}"
        )
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ConfigurationError(f"{name}: must be a bare origin such as https://a.klaviyo.com")
    return url


def _redis_url(name: str, value: Any) -> Optional[str]:
    url = _key(name, value)
    if url is None:
        return None
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(
            f"{name}: must be a redis://, rediss:// or unix:// URL, got {safe_url(url)!r}"
        )
    return url


def _revision(name: str, value: Any) -> str:
    text = _text(name, value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?", text):
        raise ConfigurationError(
            f"{name}: must be a revision date YYYY-MM-DD[.suffix], got {text!r}"
        )
    if not revisions.tested(text):
        # A revision the translators were not tested against may reject the bodies they
        # build (a newer one) or be retired (an older one): refused before anything is sent.
        raise ConfigurationError(
            f"{name}: {text!r} is not a revision this version is tested against; accepted: "
            f"{', '.join(revisions.TESTED)} (a newer revision comes with a newer "
            "klaviyo-legacy-compat)"
        )
    return text


def _chunk_size(name: str, value: Any) -> int:
    # The ceiling is the revision's documented per-call cap, read from the endpoint table.
    ceiling = endpoint("bulk_subscribe_profiles").max_items or 1000
    number = _integer(name, value)
    if not 1 <= number <= ceiling:
        raise ConfigurationError(f"{name}: must be between 1 and {ceiling}, got {number}")
    return number


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigurationError(f"{name}: must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name}: must be an integer, got {value!r}") from None
    if number < 1:
        raise ConfigurationError(f"{name}: must be at least 1, got {number}")
    return number


def _positive(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name}: must be a number > 0, got {value!r}") from None
    if isinstance(value, bool) or not number > 0 or number == float("inf"):
        raise ConfigurationError(f"{name}: must be a number > 0, got {value!r}")
    return number


def _seconds(name: str, value: Any) -> float:
    # 0 is allowed: no waiting at all, so no retries after a failure.
    return 0.0 if value in (0, "0") else _positive(name, value)


def _timeout(name: str, value: Any) -> Timeout:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return (float(value[0]), float(value[1]))
    if isinstance(value, str):
        try:
            return _timeout(name, float(value))
        except ValueError:
            pass
    raise ConfigurationError(f"{name}: must be seconds > 0, or a (connect, read) pair")


def _phone_region(name: str, value: Any) -> Optional[str]:
    text = _key(name, value)
    if text is None:
        return None
    region = text.upper()
    if region not in REGIONS:
        raise ConfigurationError(
            f"{name}: must be a region whose national numbers convert by rule, one of "
            f"{', '.join(sorted(REGIONS))}; got {text!r}"
        )
    return region


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in allowed:
            raise ConfigurationError(f"{name}: must be one of {', '.join(allowed)}; got {value!r}")
        return str(value)

    return check


@attrs.frozen
class Option:
    """One configuration row: its environment variable (if any), default and checker."""

    env: Optional[str]
    default: Any
    check: Callable[[str, Any], Any]


#: Every option, in one place. Arguments win over the environment, which wins over defaults.
OPTIONS: Mapping[str, Option] = {
    "private_key": Option("KLAVIYO_PRIVATE_API_KEY", None, _api_key),
    "public_key": Option("KLAVIYO_PUBLIC_API_KEY", None, _api_key),
    "base_url": Option("KLAVIYO_API_BASE_URL", "https://a.klaviyo.com", _base_url),
    "revision": Option("KLAVIYO_API_REVISION", REVISION, _revision),
    "dry_run": Option("KLAVIYO_LEGACY_COMPAT_DRY_RUN", False, _flag),
    "timeout": Option("KLAVIYO_LEGACY_COMPAT_TIMEOUT", (3.05, 30.0), _timeout),
    "subscribe_chunk_size": Option(None, 100, _chunk_size),
    "bulk_import_threshold": Option(None, 10, _integer),
    "naive_datetime": Option(None, "local", _choice("local", "utc")),
    "identify_mode": Option(None, "upsert", _choice("upsert", "split")),
    "identify_conflict": Option(None, "drop_phone", _choice("drop_phone", "drop_email", "raise")),
    "test_calls": Option(None, "skip", _choice("skip", "send")),
    "return_members": Option(None, True, _flag),
    "member_ids": Option(None, True, _flag),
    "unsubscribe_globally": Option(None, False, _flag),
    "derive_unique_id": Option(None, True, _flag),
    "strict": Option("KLAVIYO_LEGACY_COMPAT_STRICT", False, _flag),
    "default_phone_region": Option(
        "KLAVIYO_LEGACY_COMPAT_DEFAULT_PHONE_REGION", None, _phone_region
    ),
    "max_concurrency": Option("KLAVIYO_LEGACY_COMPAT_MAX_CONCURRENCY", 4, _integer),
    "pacing": Option("KLAVIYO_LEGACY_COMPAT_PACING", True, _flag),
    "retry_budget": Option("KLAVIYO_LEGACY_COMPAT_RETRY_BUDGET", 120.0, _seconds),
    "connect_retry_budget": Option("KLAVIYO_LEGACY_COMPAT_CONNECT_RETRY_BUDGET", 30.0, _seconds),
    "max_attempts": Option("KLAVIYO_LEGACY_COMPAT_MAX_ATTEMPTS", 10, _integer),
    "time_scale": Option(None, 1.0, _positive),
    "rate_limit_redis_url": Option("KLAVIYO_RATE_LIMIT_REDIS_URL", None, _redis_url),
    "batching": Option("KLAVIYO_LEGACY_COMPAT_BATCHING", False, _flag),
    "batch_max_age": Option("KLAVIYO_LEGACY_COMPAT_BATCH_MAX_AGE", 5.0, _positive),
    "spool_path": Option("KLAVIYO_LEGACY_COMPAT_SPOOL", None, _key),
    "wait_for_jobs": Option("KLAVIYO_LEGACY_COMPAT_WAIT_FOR_JOBS", False, _flag),
    "shutdown_timeout": Option("KLAVIYO_LEGACY_COMPAT_SHUTDOWN_TIMEOUT", 5.0, _seconds),
    "audit_log": Option("KLAVIYO_LEGACY_COMPAT_AUDIT_LOG", None, _key),
}

_OPTION_FIELDS = {field.name for field in attrs.fields(Options)}
_DELIVERY_FIELDS = {field.name for field in attrs.fields(Delivery)}
_BATCH_FIELDS = {field.name for field in attrs.fields(BatchMode)}


def check_option_names(given: Mapping[str, Any]) -> None:
    """A ``TypeError`` naming an option that does not exist (as Python does for kwargs)."""
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise TypeError(
            f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(OPTIONS))}"
        )


def resolve_settings(*layers: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    """The settings for one call. ``layers`` are argument dicts, most specific first; a value
    of ``None`` in a layer means "not given" there."""
    values: dict[str, Any] = {}
    for name, option in OPTIONS.items():
        raw: Any = None
        given_as = name  # what an error names: the option, or the environment variable
        for layer in layers:
            if layer.get(name) is not None:
                raw = layer[name]
                break
        else:
            if option.env is not None and environ.get(option.env, "") != "":
                raw, given_as = environ[option.env], option.env
        values[name] = option.default if raw is None else option.check(given_as, raw)
    return Settings(
        credentials=credentials(private=(values["private_key"],), public=(values["public_key"],)),
        options=Options(**{name: values[name] for name in _OPTION_FIELDS}),
        delivery=Delivery(**{name: values[name] for name in _DELIVERY_FIELDS}),
        batch=BatchMode(**{name: values[name] for name in _BATCH_FIELDS}),
        base_url=values["base_url"],
        revision=values["revision"],
        dry_run=values["dry_run"],
        timeout=values["timeout"],
        audit_log=values["audit_log"],
    )
