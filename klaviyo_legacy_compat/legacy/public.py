"""``klaviyo.public.Public`` of ``klaviyo`` 3.1.7: track, track_once, identify.

Legacy → new (legacy-surface.md A.6; MIGRATION.md): ``track`` → ``POST /api/events`` (with a
private token) or ``POST /client/events?company_id=<public token>``; ``identify`` →
``POST /api/profile-import`` (or ``/client/profiles``). Both return
``KlaviyoAPIResponse(200, 1)``. Differences: the caller's dicts are never mutated (3.1.7
added ``email``/``id`` to them in place); ``method='post'`` no longer ignores ``api_server``;
``is_test=True`` GET calls are not sent (no test mode exists; option ``test_calls``). With
``method='post'`` 3.1.7 dropped ``is_test`` and the call was real, so it is sent here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._errors import KlaviyoConfigurationException, KlaviyoException
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Public"]

_IDENTIFY_MESSAGE = "You must identify a user by email or ID."

#: Whether a public request of each method carried ``is_test``: GET sent ``test=1``, POST
#: silently dropped it, so a POST "test" call was tracked for real (legacy-surface.md A.3,
#: E.5). Callers relying on that still get their event or profile update.
_CARRIES_TEST = {KlaviyoAPI.HTTP_GET: True, KlaviyoAPI.HTTP_POST: False}


class Public(KlaviyoAPI):
    """Track and identify with the public token (``token`` in the legacy payload)."""

    TRACK = "track"
    IDENTIFY = "identify"
    TRACK_ONCE_KEY = "__track_once__"

    def _check_method(self, method: str) -> None:
        if str(method).lower() not in _CARRIES_TEST:
            # Sic: the legacy message says "of" (legacy-surface.md A.3).
            raise KlaviyoConfigurationException(
                "Invalid HTTP method for public request: must be 'get' of 'post'"
            )

    def _test_flag(self, is_test: bool, method: str) -> bool:
        """``is_test`` as the request of ``method`` (checked, case-insensitive) carried it."""
        self._check_method(method)
        return bool(is_test) and _CARRIES_TEST[str(method).lower()]

    def _identified(
        self,
        values: Callable[[], dict[str, Any]],
        email: Optional[str],
        external_id: Any,
        is_test: bool,
        method: str,
    ) -> tuple[dict[str, Any], bool]:
        """The checks ``track`` and ``identify`` share, then ``values()`` with ``email`` and
        ``id`` added, and ``is_test`` as the request carries it (:meth:`_test_flag`).

        ``values`` is called only after the checks, so bad properties never mask the legacy
        errors (public token, method, identifier: 3.1.7's order); each caller keeps its own
        reading of its properties argument.
        """
        self._is_valid_request_option(self.PUBLIC)
        carried = self._test_flag(is_test, method)
        if not email and not external_id:
            raise KlaviyoException(_IDENTIFY_MESSAGE)
        identified = values()
        if email:
            identified["email"] = email
        if external_id:
            identified["id"] = external_id
        return identified, carried

    def track(
        self,
        event: str,
        email: Optional[str] = None,
        external_id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        customer_properties: Optional[Mapping[str, Any]] = None,
        timestamp: Any = None,
        ip_address: Optional[str] = None,
        is_test: bool = False,
        method: str = "get",
    ) -> Any:
        """Track an event for the person identified by ``email`` or ``external_id``."""
        customer, is_test = self._identified(
            lambda: dict(customer_properties or {}), email, external_id, is_test, method
        )
        payload: dict[str, Any] = {
            "token": self.public_token,
            "event": event,
            "properties": dict(properties or {}),
            "customer_properties": customer,
            # Passed as given: naive datetimes are read as local time (as 3.1.7 did with
            # time.mktime) and aware ones are converted correctly (3.1.7 ignored tzinfo).
            "time": timestamp,
        }
        if ip_address:
            payload["ip"] = ip_address
        return self._respond(
            lambda client, options: client.track(payload, is_test=is_test, **options)
        )

    def track_once(
        self,
        event: str,
        email: Optional[str] = None,
        external_id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        customer_properties: Optional[Mapping[str, Any]] = None,
        timestamp: Any = None,
        ip_address: Optional[str] = None,
        is_test: bool = False,
    ) -> Any:
        """Track an event only once per person (``__track_once__``; emulated with a constant
        ``unique_id``, see MIGRATION.md)."""
        once = dict(properties or {})
        once[self.TRACK_ONCE_KEY] = True
        return self.track(
            event, email, external_id, once, customer_properties, timestamp, ip_address, is_test
        )

    def identify(
        self,
        email: Optional[str] = None,
        external_id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        is_test: bool = False,
        method: str = "get",
    ) -> Any:
        """Create or update the person identified by ``email`` or ``external_id``."""
        values, is_test = self._identified(
            # 3.1.7 silently replaced a non-dict ``properties`` with {} (legacy-surface.md A.6),
            # where track's ``customer_properties`` goes through ``dict()``.
            lambda: dict(properties) if isinstance(properties, Mapping) else {},
            email,
            external_id,
            is_test,
            method,
        )
        payload = {"token": self.public_token, "properties": values}
        return self._respond(
            lambda client, options: client.identify(payload, is_test=is_test, **options)
        )
