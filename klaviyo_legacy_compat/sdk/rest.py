"""``swagger_client.rest`` of ``klaviyo-sdk`` 1.0.9: ``ApiException``, the only HTTP error the
legacy SDK raised, and ``RESTResponse`` (legacy-surface.md B.1, B.6).

Code caught ``swagger_client.rest.ApiException`` and read ``status``, ``reason``, ``body``
(bytes it ``json.loads``-ed) and ``headers``; it still can. The body is the legacy error body
(``{"status", "message", "detail", "errors"}``, ``_errors.legacy_error_body``), the same as
``KlaviyoAPIException.message`` on the other surfaces; ``headers`` holds every header of
Klaviyo's answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

from klaviyo_legacy_compat._core.errors import (
    APIError,
    Headers,
    LegacyErrorResponse,
    legacy_error_body,
)
from klaviyo_legacy_compat._transports.transport import TransportError
from klaviyo_legacy_compat.legacy_http import reason_phrase

__all__ = ["ApiException", "RESTResponse", "legacy_error_body", "reason_phrase"]


class RESTResponse:
    """A raw answer (``_preload_content=False``): ``status``, ``reason``, ``data`` (bytes),
    and its headers (names case-insensitive, as urllib3's ``HTTPHeaderDict``)."""

    def __init__(
        self, status: int, data: bytes, headers: Optional[Mapping[str, str]] = None
    ) -> None:
        self.status = status
        self.reason = reason_phrase(status)
        self.data = data
        self._headers = Headers((headers or {}).items())

    def getheaders(self) -> Mapping[str, str]:
        return self._headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._headers.get(name, default)

    def json(self) -> Any:
        return json.loads(self.data) if self.data else None


class ApiException(Exception):
    """``ApiException(status=None, reason=None, http_resp=None)`` with ``status``,
    ``reason``, ``body`` (bytes) and ``headers``, as swagger-codegen built it."""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Optional[RESTResponse] = None,
    ) -> None:
        super().__init__(status, reason)
        if http_resp is not None:
            self.status: Optional[int] = http_resp.status
            self.reason: Optional[str] = http_resp.reason
            self.body: Optional[bytes] = http_resp.data
            self.headers: Optional[Mapping[str, str]] = http_resp.getheaders()
        else:
            self.status = status
            self.reason = reason
            self.body = None
            self.headers = None

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            text += f"HTTP response headers: {self.headers}\n"
        if self.body:
            text += f"HTTP response body: {self.body!r}\n"
        return text

    @classmethod
    def from_error(cls, error: BaseException) -> ApiException:
        """The legacy exception for one of ours: an API error keeps its status and gets a
        legacy body; a transport failure is status 0, as the legacy SDK reported SSL and
        connection-preparation failures."""
        if isinstance(error, APIError):
            status = error.status_code or 0
            answer = error.response
            if not isinstance(answer, LegacyErrorResponse):
                answer = LegacyErrorResponse(status, legacy_error_body(error))
            return cls(http_resp=RESTResponse(status, answer.content, answer.headers))
        if isinstance(error, TransportError):
            return cls(status=0, reason=str(error))
        raise TypeError(f"no legacy ApiException for {type(error).__name__}")
