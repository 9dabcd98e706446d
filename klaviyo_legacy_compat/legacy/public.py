"""``klaviyo.public.Public`` of ``klaviyo`` 3.1.7: track, track_once, identify.

Each builds the legacy payload and sends it as 3.1.7 did (``_track_identify_request``: a GET
``/track?data=<base64>&test=0|1`` by default, a form POST with ``method='post'``), answered
by the translation core. Legacy → new (legacy-surface.md A.6; MIGRATION.md): ``track`` →
``POST /api/events`` (with a private token) or ``POST /client/events?company_id=<public
token>``; ``identify`` → ``POST /api/profile-import`` (or ``/client/profiles``). Both return
``KlaviyoAPIResponse(200, 1)``. Differences: the caller's dicts are never mutated (3.1.7
added ``email``/``id`` to them in place); ``method='post'`` goes to ``api_server`` too;
a datetime ``timestamp`` travels as ISO-8601 text (3.1.7: ``time.mktime``, which ignored
``tzinfo``): a naive one is read as local time unless ``naive_datetime="utc"``, an aware one
exactly; ``is_test=True`` GET calls are not sent (no test mode exists; option
``test_calls``). With ``method='post'`` 3.1.7 dropped ``is_test`` and the call was real, so
it is sent here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._core.errors import KlaviyoException
from klaviyo_legacy_compat.legacy._payloads import identified, track_payload
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Public"]


class Public(KlaviyoAPI):
    """Track and identify with the public token (``token`` in the legacy payload)."""

    IDENTIFY = "identify"
    TRACK = "track"
    TRACK_ONCE_KEY = "__track_once__"

    TOKEN = "token"
    ERROR_MESSAGE_ID_AND_EMAIL = "You must identify a user by email or ID."

    @staticmethod
    def _valid_identifiers(email: Any = None, external_id: Any = None) -> None:
        """A profile is identified by ``email`` or ``external_id``."""
        if not email and not external_id:
            raise KlaviyoException(Public.ERROR_MESSAGE_ID_AND_EMAIL)

    def _identified(
        self,
        values: Callable[[], dict[str, Any]],
        email: Optional[str],
        external_id: Any,
        method: str,
    ) -> dict[str, Any]:
        """The checks of a public call (public token, method, identifier), then ``values()``
        with ``email`` and ``id`` added.

        ``values`` is called only after the checks, so bad properties never mask the legacy
        errors; each caller keeps its own reading of its properties argument.
        """
        self._is_valid_request_option(self.PUBLIC)
        self._is_valid_public_method(str(method).lower())
        self._valid_identifiers(email, external_id)
        return identified(values(), email, external_id)

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
        method: str = KlaviyoAPI.HTTP_GET,
    ) -> Any:
        """Track an event for the person identified by ``email`` or ``external_id``."""
        customer = self._identified(
            lambda: dict(customer_properties or {}), email, external_id, method
        )
        params = track_payload(
            self.public_token, event, dict(properties or {}), customer, timestamp, ip_address
        )
        return self._track_identify_request(
            method=method, params=params, resource=self.TRACK, is_test=is_test
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
            event,
            email=email,
            external_id=external_id,
            properties=once,
            customer_properties=customer_properties,
            timestamp=timestamp,
            ip_address=ip_address,
            is_test=is_test,
        )

    def identify(
        self,
        email: Optional[str] = None,
        external_id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        is_test: bool = False,
        method: str = KlaviyoAPI.HTTP_GET,
    ) -> Any:
        """Create or update the person identified by ``email`` or ``external_id``."""
        values = self._identified(
            # 3.1.7 silently replaced a non-dict ``properties`` with {} (legacy-surface.md A.6),
            # where track's ``customer_properties`` goes through ``dict()``.
            lambda: dict(properties) if isinstance(properties, Mapping) else {},
            email,
            external_id,
            method,
        )
        params = {self.TOKEN: self.public_token, "properties": values}
        return self._track_identify_request(
            method=method, params=params, resource=self.IDENTIFY, is_test=is_test
        )
