"""The one exception tree, and the pure status → exception table.

::

    KlaviyoCompatError(Exception)                    root for new code
    ├── LegacySDKError = KlaviyoException            raised here, before anything is sent
    │   ├── ConfigurationError = KlaviyoConfigurationException
    │   │   │                                        a key or setting is missing or invalid
    │   │   └── SpoolError (in _spool/)              bulk mode's spool cannot be used safely
    │   └── TranslationError(LegacySDKError, ValueError)
    │       │                                        legacy input breaks a rule: .field .rule
    │       ├── MissingIdentifierError               "You must identify a user by email or ID."
    │       └── UnsupportedLegacyFeatureError = UnsupportedLegacyFeature
    │                                                no new-API equivalent: .instead says what to do
    ├── APIError = KlaviyoAPIException = KlaviyoApiException
    │   │                                            Klaviyo answered with an error status
    │   │   .status_code .message (the legacy error body) .response (that body as an
    │   │   answer: .status_code .headers .json() .text) .errors .request .api_response
    │   ├── BadRequestError                          400
    │   ├── AuthenticationError = KlaviyoAuthenticationError   401, 403
    │   ├── NotFoundError                            404
    │   ├── ConflictError                            409 (.duplicate_profile_id)
    │   ├── RateLimitError = KlaviyoRateLimitException         429 (.retry_after)
    │   ├── ServerError = KlaviyoServerError         5xx
    │   └── PartialDeliveryError                     a chunked call failed part way:
    │                                                .accepted, .undelivered, .cause
    └── TransportError (in _transport.py)            no response at all; also a
                                                     requests.exceptions.ConnectionError

One warning, outside the tree: ``RevisionWarning(UserWarning)``, once per process when the
configured revision is deprecated or retired (``_surfaces/lifecycle.py``).

Legacy names are the *same objects* as the modern ones (as ``attr``/``attrs`` do), never
subclasses. The legacy split is kept on purpose: ``KlaviyoAPIException`` is not a
``KlaviyoException`` in ``klaviyo`` 3.1.7 (legacy-surface.md A.5), so ``except
KlaviyoException`` must still not catch HTTP errors.

Legacy code reads an HTTP error the way ``klaviyo`` 3.1.7 exposed it: ``e.message`` the
parsed error body, ``e.response`` the answer. Both hold the legacy body here
(:func:`legacy_error_body`), the same on every surface (the 3.1.7 classes, the module
functions, ``klaviyo-sdk``, raw HTTP); the new API's own answer stays at ``e.api_response``.

No message built here ever contains an API key: requests are described by method and path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Optional

from .models import ErrorDetail, PlannedRequest, RawResponse

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "Headers",
    "KlaviyoAPIException",
    "KlaviyoApiException",
    "KlaviyoAuthenticationError",
    "KlaviyoCompatError",
    "KlaviyoConfigurationException",
    "KlaviyoException",
    "KlaviyoRateLimitException",
    "KlaviyoServerError",
    "LegacyErrorResponse",
    "LegacySDKError",
    "MissingIdentifierError",
    "NotFoundError",
    "PartialDeliveryError",
    "RateLimitError",
    "RevisionWarning",
    "ServerError",
    "TranslationError",
    "UnsupportedLegacyFeature",
    "UnsupportedLegacyFeatureError",
    "error_class",
    "error_from_answer",
    "error_from_response",
    "header_of",
    "legacy_error_body",
    "parse_error_details",
    "retry_after_seconds",
]


class KlaviyoCompatError(Exception):
    """Root of every error this library raises."""


class LegacySDKError(KlaviyoCompatError):
    """A local error, raised before anything is sent (legacy ``KlaviyoException``).

    ``message`` is kept because legacy code reads ``e.message``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(LegacySDKError):
    """A key or setting is missing or invalid (legacy ``KlaviyoConfigurationException``)."""


class RevisionWarning(UserWarning):
    """The configured ``revision`` is deprecated (its stable year is over) or retired
    (Klaviyo refuses it): upgrade klaviyo-legacy-compat to a version tested against a newer
    one (``_core/revision.py``). A ``UserWarning``, so Python shows it by default."""


class TranslationError(LegacySDKError, ValueError):
    """Legacy input that breaks a rule. ``field`` names the input (``profiles[3].phone_number``)
    and ``rule`` says what it must be; both appear in the message."""

    def __init__(self, field: str, rule: str, message: Optional[str] = None) -> None:
        super().__init__(message or f"{field}: {rule}")
        self.field = field
        self.rule = rule


class MissingIdentifierError(TranslationError):
    """The profile has no identifier the new API can resolve it by."""


class UnsupportedLegacyFeatureError(TranslationError):
    """A legacy feature with no new-API equivalent. ``instead`` says what to do; raised in
    dry-run too, so it is found before going live."""

    def __init__(self, field: str, rule: str, instead: str) -> None:
        super().__init__(field, rule, f"{field}: {rule}. Instead: {instead}")
        self.instead = instead


class APIError(KlaviyoCompatError):
    """Klaviyo answered with an error status (legacy ``KlaviyoAPIException``).

    Legacy attributes, as ``klaviyo`` 3.1.7 code reads them: ``status_code``; ``message``,
    the legacy error body (:func:`legacy_error_body`: ``{"status", "message", "detail",
    "errors"}``, a 429's ``detail`` "Request was throttled. Expected available in N
    seconds."); ``response``, that body as an answer (:class:`LegacyErrorResponse`:
    ``status_code``, ``headers`` with every header of Klaviyo's answer, ``json()``,
    ``text``, ``content``). New ones: ``errors`` (the structured ``errors[]``), ``request``
    (the :class:`PlannedRequest` that failed) and ``api_response`` (the new API's own
    :class:`RawResponse`).

    ``response`` may also be any other answer (a ``requests.Response``, as legacy code and
    the 3.1.7 ``_handle_response`` pass it): it is kept as given, ``message`` is its parsed
    JSON body or its text, as in 3.1.7, and ``errors`` are read from that body.
    """

    def __init__(
        self,
        status_code: Optional[int],
        response: Any = None,
        *,
        request: Optional[PlannedRequest] = None,
        errors: tuple[ErrorDetail, ...] = (),
        message: Any = None,
        description: Optional[str] = None,
    ) -> None:
        self.status_code = status_code
        self.request = request
        raw = response if isinstance(response, RawResponse) else None
        self.api_response: Optional[RawResponse] = raw
        if response is not None and raw is None:
            if message is None:
                message = _body_of(response)
            errors = errors or parse_error_details(message)
        self.errors = errors
        self._description = description or self._describe()
        super().__init__(self._description)
        if message is None:
            message = legacy_error_body(self)
        self.message: Any = message
        self.response: Any
        if response is not None and raw is None:
            self.response = response
        elif status_code is None:
            self.response = None  # nothing answered
        else:
            self.response = LegacyErrorResponse(status_code, message, raw.headers if raw else ())

    def _describe(self) -> str:
        # Legacy str(e) was "Failed with status code: N"; keep that prefix for log greps.
        text = f"Failed with status code: {self.status_code}"
        if self.errors:
            first = self.errors[0]
            text += f" ({first.code}: {first.detail or first.title})"
        if self.request is not None:
            text += f" [{self.request.method} {self.request.path}]"
        return text


class BadRequestError(APIError):
    """400: the request was malformed."""


class AuthenticationError(APIError):
    """401 or 403: missing, wrong or under-scoped key (legacy: 403 only)."""


class NotFoundError(APIError):
    """404: unknown id."""


class ConflictError(APIError):
    """409; ``duplicate_profile_id`` is set when Klaviyo names the existing profile."""

    @property
    def duplicate_profile_id(self) -> Optional[str]:
        for detail in self.errors:
            found = detail.meta.get("duplicate_profile_id")
            if isinstance(found, str):
                return found
        return None


class RateLimitError(APIError):
    """429 after every retry; ``retry_after`` is the wait Klaviyo asked for, in seconds."""

    @property
    def retry_after(self) -> Optional[float]:
        answer = self.api_response if self.api_response is not None else self.response
        return None if answer is None else retry_after_seconds(answer)


class ServerError(APIError):
    """5xx (legacy: 500 and 503 only)."""


class PartialDeliveryError(APIError):
    """A chunked call failed part way. Nothing is lost:

    - ``accepted``: one line per chunk Klaviyo accepted, saying what it held;
    - ``undelivered``: every item read from the input and not delivered (the failed chunk
      and, for an in-memory sequence, everything after it), in input order, ready to resend;
    - ``remaining``: for an iterator input, the iterator positioned after ``undelivered``
      (items not read yet), else ``None``;
    - ``cause``: the error that stopped delivery.

    The error is also an instance of the cause's class (a partial failure caused by a 429 is
    a ``RateLimitError`` too, one caused by a lost connection a ``TransportError``), so
    ``except`` clauses written for the legacy exceptions still catch it.
    """

    _combined: ClassVar[dict[type[BaseException], type[PartialDeliveryError]]] = {}

    def __new__(cls, *args: Any, cause: BaseException, **kwargs: Any) -> PartialDeliveryError:
        kind = type(cause)
        if (
            cls is PartialDeliveryError
            and not issubclass(kind, PartialDeliveryError)
            and (issubclass(kind, KlaviyoCompatError) and not issubclass(kind, LegacySDKError))
        ):
            combined = cls._combined.get(kind)
            if combined is None:
                combined = type("PartialDeliveryError", (PartialDeliveryError, kind), {})
                combined.__module__ = cls.__module__
                combined.__qualname__ = f"PartialDeliveryError[{kind.__name__}]"
                cls._combined[kind] = combined
            cls = combined
        instance: PartialDeliveryError = super().__new__(cls)
        return instance

    def __init__(
        self,
        *,
        accepted: Sequence[str],
        undelivered: Sequence[Any],
        cause: BaseException,
        remaining: Optional[Iterator[Any]] = None,
        what: str = "items",
    ) -> None:
        self.accepted = tuple(accepted)
        self.undelivered = list(undelivered)
        self.remaining = remaining
        self.cause = cause
        api = cause if isinstance(cause, APIError) else None
        done = "; ".join(self.accepted) if self.accepted else "none"
        rest = " (and the items not yet read are in .remaining)" if remaining is not None else ""
        super().__init__(
            api.status_code if api else None,
            api.api_response if api else None,
            request=api.request if api else None,
            errors=api.errors if api else (),
            description=(
                f"delivery stopped part way. Accepted: {done}. "
                f"{len(self.undelivered)} {what} not delivered are in .undelivered{rest}. "
                f"Cause: {cause}"
            ),
        )
        # As an instance of the cause's class too, it carries that class's attributes; and
        # exceptions built on OSError (TransportError) take their args at creation, so the
        # message is set here explicitly.
        own = {"accepted", "undelivered", "remaining", "cause", "_description"}
        self.__dict__.update({k: v for k, v in vars(cause).items() if k not in own})
        self.args = (self._description,)


# Legacy names: the same objects (aesthetics §2.3).
KlaviyoException = LegacySDKError
KlaviyoConfigurationException = ConfigurationError
KlaviyoAPIException = APIError
KlaviyoApiException = APIError  # spelling before python-klaviyo commit 41deef2
KlaviyoAuthenticationError = AuthenticationError
KlaviyoRateLimitException = RateLimitError
KlaviyoServerError = ServerError
UnsupportedLegacyFeature = UnsupportedLegacyFeatureError

#: Status → exception class. Anything 5xx is a ServerError; any other status not here is the
#: base APIError (stripe ``specific_v1_api_error`` shape, as a table).
ERROR_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}

_EXPECTED_AVAILABLE = re.compile(r"Expected available in ([\d.]+) second", re.IGNORECASE)


def parse_error_details(body: Any) -> tuple[ErrorDetail, ...]:
    """Klaviyo's ``errors[]`` as values; tolerant of missing and extra keys."""
    from .convert import structure_error_details

    if not isinstance(body, dict):
        return ()
    items = body.get("errors")
    if not isinstance(items, list):
        return ()
    return structure_error_details(item for item in items if isinstance(item, dict))


def header_of(response: Any, name: str) -> Optional[str]:
    """Header ``name`` of any answer (case-insensitive): a :class:`RawResponse`, a
    :class:`LegacyErrorResponse`, a ``requests.Response``; ``None`` when absent."""
    if isinstance(response, RawResponse):
        return response.header(name)
    headers = getattr(response, "headers", None)
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def _body_of(response: Any) -> Any:
    """What 3.1.7's ``KlaviyoAPIException`` made its ``message``: the parsed JSON body, or
    the text when the body is not JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if body is None:
        body = getattr(response, "text", None)
    return body


def retry_after_seconds(response: Any) -> Optional[float]:
    """The wait a 429 asks for: ``Retry-After`` if present, else the "Expected available in N
    seconds" of the error detail (new-api.md §6.4; the legacy body's top-level ``detail``),
    else ``None``. ``response`` is any answer :func:`header_of` reads."""
    header = header_of(response, "retry-after")
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    try:
        body = response.json()
    except ValueError:
        return None
    details = [detail.detail for detail in parse_error_details(body)]
    if isinstance(body, Mapping) and isinstance(body.get("detail"), str):
        details.append(body["detail"])
    for text in details:
        found = _EXPECTED_AVAILABLE.search(text)
        if found:
            return float(found.group(1))
    return None


def legacy_error_body(error: APIError) -> dict[str, Any]:
    """The legacy error body of ``error``: v1/v2 answered ``{"status", "message"}``, and a
    429 ``{"detail": "Request was throttled. Expected available in 56 seconds."}``
    (users-and-peers.md §1.29, §4.3); the new API's ``errors`` ride along."""
    if error.status_code == 429:
        wait = None if error.api_response is None else retry_after_seconds(error.api_response)
        detail = "Request was throttled."
        if wait is not None:
            # Whole seconds, rounded up (as the legacy throttle did): code that int()-ed the
            # number keeps working, and waiting that long is never too short.
            seconds = math.ceil(wait)
            detail += f" Expected available in {seconds} second{'' if seconds == 1 else 's'}."
    else:
        detail = "; ".join(d.detail or d.title for d in error.errors if d.detail or d.title)
        detail = detail or str(error)
    return {
        "status": error.status_code,
        "message": detail,
        "detail": detail,
        "errors": [
            {"code": d.code, "title": d.title, "detail": d.detail, "meta": d.meta}
            for d in error.errors
        ],
    }


#: Headers of the new API's answer that describe its own body or connection, not the legacy
#: body an error carries (and that a WSGI server must not be handed, PEP 3333).
_NOT_CARRIED = frozenset(
    {
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


class Headers(Mapping[str, str]):
    """Read-only headers with case-insensitive names (``headers["retry-after"]`` and
    ``headers["Retry-After"]`` are one), as ``requests.Response.headers``."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._items = {name.lower(): (name, value) for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(dict(self))


class LegacyErrorResponse:
    """An error answer as legacy code reads ``e.response`` (the ``requests.Response`` of
    ``klaviyo`` 3.1.7): ``status_code``, ``headers`` (every header of Klaviyo's answer but
    those describing its own body, and ``Content-Type: application/json``), ``json()``,
    ``text`` and ``content`` with the legacy error body."""

    ok = False

    def __init__(
        self, status_code: int, body: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.status_code = status_code
        self.content = json.dumps(body, ensure_ascii=False, default=str).encode()
        carried = [(k, v) for k, v in headers if k.lower() not in _NOT_CARRIED]
        self.headers = Headers([*carried, ("Content-Type", "application/json")])

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        """The legacy body, parsed afresh (a caller may change what it gets)."""
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<LegacyErrorResponse [{self.status_code}]>"


def error_class(status: int) -> type[APIError]:
    """The exception class of an error ``status``: :data:`ERROR_BY_STATUS`, else
    :class:`ServerError` for any 5xx, else :class:`APIError`."""
    cls = ERROR_BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    return cls


def error_from_response(
    response: RawResponse, request: Optional[PlannedRequest] = None
) -> APIError:
    """The exception for an error ``response`` of the new API (pure: builds, never raises)."""
    return error_class(response.status)(
        response.status,
        response,
        request=request,
        errors=parse_error_details(response.json()),
    )


def error_from_answer(response: Any) -> APIError:
    """The exception for a legacy error answer (what ``klaviyo`` 3.1.7's ``_handle_response``
    raises): the error an answer of this library carries (``response.error``, with the
    new API's details), else one built from the answer by its status."""
    carried = getattr(response, "error", None)
    if isinstance(carried, APIError):
        return carried
    status = int(response.status_code)
    return error_class(status)(status, response)
