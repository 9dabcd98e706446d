"""API keys, kept out of every repr, log line, exception and dry-run output.

The private key goes only into the ``Authorization`` header of ``/api`` requests; the public
key only into ``company_id`` of ``/client`` requests (contract §1, §5). The public key is
public (it is in every storefront's page), so a dry-run plan shows ``company_id`` as it will
be sent; reprs and logs hide it all the same.
"""

from __future__ import annotations

import hashlib
from typing import Optional
from urllib.parse import urlsplit

import attrs

__all__ = ["API_KEY_SCHEME", "Credentials", "account_label", "redact", "safe_url"]


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


def _redacted_repr(key: Optional[str]) -> str:
    return "None" if key is None else repr(redact(key))


@attrs.frozen
class Credentials:
    """The keys one call may use. ``repr`` never shows them."""

    private_key: Optional[str] = attrs.field(default=None, repr=_redacted_repr)
    public_key: Optional[str] = attrs.field(default=None, repr=_redacted_repr)

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
