"""The one exception tree, and the pure status → exception table.

::

    KlaviyoCompatError(Exception)                    root for new code
    ├── LegacySDKError = KlaviyoException            raised here, before anything is sent
    │   ├── ConfigurationError = KlaviyoConfigurationException
    │   │   │                                        a key or setting is missing or invalid
    │   │   └── SpoolError (in _spool.py)            bulk mode's spool cannot be used safely
    │   └── TranslationError(LegacySDKError, ValueError)
    │       │                                        legacy input breaks a rule: .field .rule
    │       ├── MissingIdentifierError               "You must identify a user by email or ID."
    │       └── UnsupportedLegacyFeatureError = UnsupportedLegacyFeature
    │                                                no new-API equivalent: .instead says what to do
    ├── APIError = KlaviyoAPIException = KlaviyoApiException
    │   │                                            Klaviyo answered with an error status
    │   │   .status_code .response .message (legacy) .errors .request
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

Legacy names are the *same objects* as the modern ones (as ``attr``/``attrs`` do), never
subclasses. The legacy split is kept on purpose: ``KlaviyoAPIException`` is not a
``KlaviyoException`` in ``klaviyo`` 3.1.7 (legacy-surface.md A.5), so ``except
KlaviyoException`` must still not catch HTTP errors.

No message built here ever contains an API key: requests are described by method and path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Optional

from ._models import ErrorDetail, PlannedRequest, RawResponse

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "KlaviyoAPIException",
    "KlaviyoApiException",
    "KlaviyoAuthenticationError",
    "KlaviyoCompatError",
    "KlaviyoConfigurationException",
    "KlaviyoException",
    "KlaviyoRateLimitException",
    "KlaviyoServerError",
    "LegacySDKError",
    "MissingIdentifierError",
    "NotFoundError",
    "PartialDeliveryError",
    "RateLimitError",
    "ServerError",
    "TranslationError",
    "UnsupportedLegacyFeature",
    "UnsupportedLegacyFeatureError",
    "error_from_response",
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

    Legacy attributes: ``status_code``, ``response`` (here the :class:`RawResponse`) and
    ``message`` (the parsed JSON body, or the text). New ones: ``errors`` (the structured
    ``errors[]``) and ``request`` (the :class:`PlannedRequest` that failed).
    """

    def __init__(
        self,
        status_code: Optional[int],
        response: Optional[RawResponse] = None,
        *,
        request: Optional[PlannedRequest] = None,
        errors: tuple[ErrorDetail, ...] = (),
        message: Any = None,
        description: Optional[str] = None,
    ) -> None:
        self.status_code = status_code
        self.response = response
        self.request = request
        self.errors = errors
        if message is None and response is not None:
            message = response.json()
            if message is None:
                message = response.body.decode("utf-8", "replace")
        self.message = message
        self._description = description or self._describe()
        super().__init__(self._description)

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
        return None if self.response is None else retry_after_seconds(self.response)


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
            api.response if api else None,
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
    from ._convert import structure_error_details

    if not isinstance(body, dict):
        return ()
    items = body.get("errors")
    if not isinstance(items, list):
        return ()
    return structure_error_details(item for item in items if isinstance(item, dict))


def retry_after_seconds(response: RawResponse) -> Optional[float]:
    """The wait a 429 asks for: ``Retry-After`` if present, else the "Expected available in N
    seconds" of the error detail (new-api.md §6.4), else ``None``."""
    header = response.header("retry-after")
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    for detail in parse_error_details(response.json()):
        found = _EXPECTED_AVAILABLE.search(detail.detail)
        if found:
            return float(found.group(1))
    return None


def error_from_response(
    response: RawResponse, request: Optional[PlannedRequest] = None
) -> APIError:
    """The exception for an error ``response`` (pure: builds, never raises)."""
    cls = ERROR_BY_STATUS.get(response.status)
    if cls is None:
        cls = ServerError if response.status >= 500 else APIError
    return cls(
        response.status,
        response,
        request=request,
        errors=parse_error_details(response.json()),
    )
