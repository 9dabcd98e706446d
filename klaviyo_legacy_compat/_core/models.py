"""Plain frozen values passed between the layers (aesthetics §3.4): no behaviour, no I/O.

Serialisation rules live in ``_convert.py``, never here.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Union

import attrs

from .types import JSONValue

__all__ = ["ErrorDetail", "PlannedRequest", "PreparedRequest", "RawResponse", "find_header"]


@attrs.frozen
class PlannedRequest:
    """One request of the new API, as a translator plans it.

    Translators fill in only what the legacy call decides: ``method``, the concrete ``path``
    (no host), the ``operation`` (operationId), the query ``params`` as ordered pairs (a key
    may repeat) and the ``json`` body. Host, credentials and headers are added at one seam,
    ``_prepare.prepare``; translators never see a key.

    ``depends_on`` is the index, within the same plan, of the earlier request whose response
    this one needs; a value only that response can supply appears as a ``{{...}}``
    placeholder in dry-run. ``note`` states the condition under which the request is sent,
    when it is not sent unconditionally.
    """

    method: str
    path: str
    operation: str
    params: tuple[tuple[str, str], ...] = ()
    json: Optional[JSONValue] = attrs.field(default=None, eq=True, hash=False)
    depends_on: Optional[int] = None
    note: Optional[str] = None


def find_header(pairs: tuple[tuple[str, str], ...], name: str) -> Optional[str]:
    """The value of header ``name`` in ``pairs`` (case-insensitive), or ``None``."""
    wanted = name.lower()
    for key, value in pairs:
        if key.lower() == wanted:
            return value
    return None


def _redacted_pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    # The Authorization header and company_id carry keys: never in a repr (contract §5).
    hidden = {"authorization", "company_id"}
    return repr(tuple((k, "<redacted>" if k.lower() in hidden else v) for k, v in pairs))


@attrs.frozen
class PreparedRequest:
    """A request exactly as the transport sends it: absolute ``url`` (no query), ``params``,
    every header, the JSON body (serialised by the transport) and the timeout. Its repr
    hides the key-bearing header and parameter."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = attrs.field(repr=_redacted_pairs)
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=_redacted_pairs)
    json: Optional[JSONValue] = attrs.field(default=None, hash=False)
    operation: str = ""
    timeout: Optional[Union[float, tuple[float, float]]] = None

    def header(self, name: str) -> Optional[str]:
        """The value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)


@attrs.frozen
class RawResponse:
    """What came back: status, headers (lower-cased names) and the raw body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def ok(self) -> bool:
        """Any 2xx. Klaviyo answers 200, 201, 202 and 204 for success (new-api.md §1)."""
        return 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        """The value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)

    # The legacy SDKs exposed the requests.Response: code reading e.response.status_code,
    # .text or .content keeps working on these.
    @property
    def status_code(self) -> int:
        """The status (``requests.Response.status_code``)."""
        return self.status

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (``requests.Response.text``)."""
        return self.body.decode("utf-8", "replace")

    @property
    def content(self) -> bytes:
        """The raw body (``requests.Response.content``)."""
        return self.body

    def json(self) -> Any:
        """The body parsed as JSON; ``None`` for an empty or non-JSON body."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@attrs.frozen
class ErrorDetail:
    """One entry of a JSON:API ``errors[]`` array (spec ``ClientError``), tolerant of the
    ``status`` and ``meta`` keys Klaviyo sends beyond the spec (new-api.md §4)."""

    code: str = ""
    title: str = ""
    detail: str = ""
    id: str = ""
    status: Optional[int] = None
    source_pointer: Optional[str] = None
    source_parameter: Optional[str] = None
    meta: dict[str, Any] = attrs.field(factory=dict, hash=False)
