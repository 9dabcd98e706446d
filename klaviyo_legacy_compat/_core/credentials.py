"""API keys: where they enter, what shape says about them, and keeping them out of every
repr, log line, exception and dry-run output.

The private key goes only into the ``Authorization`` header of ``/api`` requests; the public
key only into ``company_id`` of ``/client`` requests (contract §1, §5). The public key is
public (it is in every storefront's page), so a dry-run plan shows ``company_id`` as it will
be sent; reprs and logs hide it all the same.

Every key enters as a :class:`Key`, named by the slot it was given in (``private_token``,
``api_key``, ``KLAVIYO_PRIVATE_API_KEY``, ``token``, ...), and becomes part of
:class:`Credentials` only through :func:`credentials`, which applies two tables, stripe
style: :data:`KEY_RULES` (what no key contains: checked before any request, an error names
the slot and the rule, never the key) and :data:`KEY_SHAPES` (what a key is follows from
how it looks, wherever it was given: a private key given as the public token is used as
the private key and never put in a URL).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, Optional
from urllib.parse import urlsplit

import attrs

from .errors import ConfigurationError
from .flow import Notice

__all__ = [
    "API_KEY_SCHEME",
    "KEY_RULES",
    "KEY_SHAPES",
    "PRIVATE",
    "PUBLIC",
    "REFUSED",
    "Credentials",
    "Key",
    "KeyShape",
    "account_label",
    "combine",
    "credentials",
    "placement",
    "redact",
    "safe_url",
    "with_private_key",
]


def redact(key: str) -> str:
    """A key shortened so it can be recognised but not used: ``pk_…abcd``, or ``…Yz`` for a
    short (public) key."""
    if len(key) >= 12:
        prefix = key[: key.index("_") + 1] if "_" in key[:4] else ""
        return f"{prefix}…{key[-4:]}"
    return "…" + key[-2:] if len(key) > 4 else "…"


#: The ``Authorization`` scheme of private keys (new-api.md §1): ``Klaviyo-API-Key <key>``.
API_KEY_SCHEME = "Klaviyo-API-Key"


def account_label(key: str) -> str:
    """An opaque label for the account of ``key`` (private, or public for ``/client``
    requests): what pacing state and the spool may hold, never the key. One label for one
    account everywhere, so the pacer and the bulk-mode buffer name it alike."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def safe_url(url: str) -> str:
    """A Redis URL for reprs, logs and error messages: scheme, host, port and path only.

    The password can sit in the user part (``redis://user:pass@host``) or in the query
    (``?password=...``, the only form for ``unix://`` sockets; redis-py reads both), so both
    are dropped whole rather than masked field by field. Without ``//`` (``user:pass@host``
    mistyped for a URL) the password ends up in the path, so the path keeps only what
    follows its last ``@``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable Redis URL>"
    path = parts.path.rpartition("@")[2]
    if parts.scheme == "unix":
        return f"unix://{path}"
    return f"{parts.scheme}://{host}{port}{path}"


# --- the key tables -----------------------------------------------------------------------

#: The two roles a key plays, and what a key in the wrong slot gets: refused.
PRIVATE = "private"
PUBLIC = "public"
REFUSED = "refused"


@attrs.frozen
class Key:
    """A key as it was given: ``slot`` names where (``private_key``, ``private_token``,
    ``api_key``, ``KLAVIYO_PUBLIC_API_KEY``, ``token``, ...), so an error can point at it
    without quoting it. The value is never shown."""

    slot: str
    value: Any = attrs.field(repr=False)


#: What no key contains, checked in this order before any request: (the rule an error
#: names, a character that breaks it). Klaviyo's keys are letters, digits and ``_``; a
#: control character or a line break would end up in a header (``requests`` refuses
#: some and quotes the value in its error, ``http.client`` sends others as they are), and
#: a non-ASCII character cannot be sent in a header at all. Whitespace around a key is not
#: here: it is removed first (see :func:`_checked`).
KEY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("must not contain control characters or line breaks", re.compile(r"[\x00-\x1f\x7f-\x9f]")),
    ("must not contain whitespace", re.compile(r"\s")),
    ("must be ASCII (letters, digits and _)", re.compile(r"[^\x00-\x7f]")),
)


@attrs.frozen
class KeyShape:
    """One row of :data:`KEY_SHAPES`: a key ``pattern`` matches, and where such a key goes
    when given in a private slot and in a public one (:data:`PRIVATE`, :data:`PUBLIC` or
    :data:`REFUSED`)."""

    name: str
    pattern: re.Pattern[str]
    in_private_slot: str
    in_public_slot: str
    description: str


#: What a key is follows from its shape, wherever it was given (stripe style: ``sk_`` and
#: ``pk_`` say what a Stripe key is). Klaviyo's private API keys start with ``pk_``
#: (new-api.md §1 and users-and-peers.md §28: ``Authorization: Klaviyo-API-Key pk_...``);
#: public keys, the site or company ids, are six letters and digits (contract §1: "the
#: 6-character site id"). Legacy code often passed the private key as ``token`` (the
#: v1 track endpoint took either), so a ``pk_`` key in a public slot is used as the private
#: key: in ``Authorization`` of ``/api`` requests only, never in a URL or ``company_id``.
#: A public key in a private slot is a mistake that can only fail (401 from Klaviyo), so
#: it is refused before anything is sent. A key of neither shape is used in the slot it
#: was given in: older accounts may hold keys of other shapes, and refusing them would
#: break code that works.
KEY_SHAPES: tuple[KeyShape, ...] = (
    KeyShape("private", re.compile(r"pk_"), PRIVATE, PRIVATE, "a private key (pk_…)"),
    KeyShape(
        "public",
        re.compile(r"[A-Za-z0-9]{6}\Z"),
        REFUSED,
        PUBLIC,
        "a public key (six letters and digits: the site id)",
    ),
)


def _shape(key: str) -> Optional[KeyShape]:
    return next((row for row in KEY_SHAPES if row.pattern.match(key)), None)


def placement(slot_role: str, key: str) -> str:
    """Where ``key``, given in a slot of ``slot_role`` (:data:`PRIVATE` or :data:`PUBLIC`),
    goes: :data:`PRIVATE`, :data:`PUBLIC`, or :data:`REFUSED` (:data:`KEY_SHAPES`)."""
    row = _shape(key)
    if row is None:
        return slot_role
    return row.in_private_slot if slot_role == PRIVATE else row.in_public_slot


def _checked(given: Key) -> tuple[str, bool]:
    """The key of ``given`` with surrounding whitespace removed, and whether any was; a
    :class:`ConfigurationError` naming the slot and the rule when it breaks one.

    Surrounding whitespace is removed rather than refused: no key contains any, so removing
    it is unambiguous, and a key read from a file or an environment file with its trailing
    newline (or copied from a web page with a trailing no-break space) is common. The
    caller is told (a warning), so the source can be mended.
    """
    if not isinstance(given.value, str):
        raise ConfigurationError(f"{given.slot}: an API key must be a string")
    key = given.value.strip()
    if not key:
        raise ConfigurationError(f"{given.slot}: the API key is empty")
    for rule, breaks in KEY_RULES:
        found = breaks.search(key)
        if found is not None:
            # Where, never what: the position says where to look without quoting the key.
            raise ConfigurationError(
                f"{given.slot}: an API key {rule} (one at character {found.start() + 1}); "
                "nothing was sent"
            )
    return key, key != given.value


# --- credentials --------------------------------------------------------------------------


def _redacted_repr(key: Optional[str]) -> str:
    return "None" if key is None else repr(redact(key))


@attrs.frozen
class Credentials:
    """The keys one call may use. ``repr`` never shows them.

    ``notes`` say what was done to the keys on their way in (whitespace removed, a private
    key given as the public token used as the private key, one ignored): plan warnings in
    dry-run, log records live. ``given`` are the keys as given, for :func:`combine`.
    Made by :func:`credentials`; built directly only for display and in tests.
    """

    private_key: Optional[str] = attrs.field(default=None, repr=_redacted_repr)
    public_key: Optional[str] = attrs.field(default=None, repr=_redacted_repr)
    notes: tuple[Notice, ...] = attrs.field(default=(), repr=False)
    given: tuple[tuple[str, Key], ...] = attrs.field(default=(), repr=False, eq=False)

    @property
    def server_side(self) -> bool:
        """Route to the server (``/api``) endpoints: a private key is available, or no key at
        all (the recommended endpoints; live mode then fails with a configuration error)."""
        return self.private_key is not None or self.public_key is None

    def redacted(self) -> Credentials:
        """The credentials as a dry-run plan shows them: the private key replaced by its
        redacted form; the public key kept, since it is public (every storefront page carries
        it, in Klaviyo's onsite script) and a plan shows ``company_id`` as it will be sent.
        Reprs, logs and messages still hide both."""
        return Credentials(
            private_key=None if self.private_key is None else redact(self.private_key),
            public_key=self.public_key,
        )


def _slots(keys: Iterable[Key]) -> str:
    return ", ".join(dict.fromkeys(key.slot for key in keys))


def credentials(
    private: Sequence[Optional[Key]] = (), public: Sequence[Optional[Key]] = ()
) -> Credentials:
    """The credentials of keys given in private slots (``private``) and public slots
    (``public``), each most specific first (``None``: not given).

    Each key is checked (:data:`KEY_RULES`) and placed by its shape (:data:`KEY_SHAPES`).
    The private key is the first key given in a private slot, else the first private key
    (``pk_``) given in a public slot; the public key is the first other key given in a
    public slot. A ``pk_`` key given in a public slot is named in a note: used, or ignored
    because a private slot held another key (the key given as private wins). Raises
    :class:`ConfigurationError` naming the slot, before anything is sent.
    """
    given = tuple((PRIVATE, key) for key in private if key is not None) + tuple(
        (PUBLIC, key) for key in public if key is not None
    )
    placed: dict[str, list[Key]] = {PRIVATE: [], PUBLIC: []}
    stripped: list[Key] = []
    moved: list[Key] = []
    for role, key in given:
        value, trimmed = _checked(key)
        if trimmed:
            stripped.append(key)
        goes = placement(role, value)
        if goes == REFUSED:
            row = _shape(value)
            assert row is not None
            raise ConfigurationError(
                f"{key.slot}: holds {row.description}, where the private API key belongs "
                "(it starts with pk_: Klaviyo, Settings, API keys); nothing was sent"
            )
        checked = Key(key.slot, value)
        placed[goes].append(checked)
        if goes != role:
            moved.append(checked)
    private_key = placed[PRIVATE][0].value if placed[PRIVATE] else None
    public_key = placed[PUBLIC][0].value if placed[PUBLIC] else None
    notes: list[Notice] = []
    if stripped:
        notes.append(
            Notice(
                f"{_slots(stripped)}: whitespace around the API key removed (a key never "
                "contains any; mend where it is set)",
                kind="key_whitespace",
            )
        )
    used = [key for key in moved if key.value == private_key]
    ignored = [key for key in moved if key.value != private_key]
    if used:
        notes.append(
            Notice(
                f"{_slots(used)}: holds a private key (pk_…), used as the private key: it is "
                "sent only in the Authorization header of /api requests, never in a URL or "
                "to a /client endpoint",
                level=logging.INFO,
                kind="key_private_in_public_slot",
            )
        )
    if ignored:
        chosen = placed[PRIVATE][0]
        notes.append(
            Notice(
                f"{_slots(ignored)}: holds a private key (pk_…) that is ignored: the key "
                f"given as {chosen.slot} is used",
                kind="key_ignored",
            )
        )
    return Credentials(private_key, public_key, tuple(notes), given)


def combine(carried: Credentials, configured: Credentials) -> Credentials:
    """The credentials of a legacy request that carried keys of its own (``token``,
    ``api_key``) over the configured ones: a carried key wins over a configured key of the
    same slot kind (contract §1), and a key given as private wins over a ``pk_`` key given
    as public, carried or not."""
    keys = (*carried.given, *configured.given)
    return credentials(
        private=[key for role, key in keys if role == PRIVATE],
        public=[key for role, key in keys if role == PUBLIC],
    )


def with_private_key(configured: Credentials, private: Key) -> Credentials:
    """``configured`` with ``private`` in the private slot, in place of the key given there:
    the ``api_key`` a raw legacy request carried (contract §1). The public slot keeps its
    key; both are checked and placed as :func:`credentials` does."""
    return credentials(
        private=(private,), public=[key for role, key in configured.given if role == PUBLIC]
    )
