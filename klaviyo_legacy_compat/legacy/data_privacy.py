"""``klaviyo.data_privacy`` of ``klaviyo`` 3.1.7: profile deletion requests, sent as the v2
request of 3.1.7 and answered by ``_translate/privacy.py``; ``id_type`` is checked before
anything is sent, with the legacy message."""

from __future__ import annotations

import enum
from typing import Any

from klaviyo_legacy_compat._core.errors import KlaviyoException
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["AllowedIdTypes", "DataPrivacy"]


class AllowedIdTypes(enum.Enum):
    """The identifiers a deletion request may name."""

    EMAIL = "email"
    PHONE_NUMBER = "phone_number"
    PERSON_ID = "person_id"


class DataPrivacy(KlaviyoAPI):
    """The v2 data privacy API (private token)."""

    DATA_PRIVACY = "data-privacy"
    DELETION_REQUEST = "deletion-request"

    def request_profile_deletion(self, identifier: str, id_type: str = "email") -> Any:
        """Request that every profile matching ``identifier`` be deleted."""
        try:
            AllowedIdTypes(id_type)
        except ValueError:
            allowed = [item.value for item in AllowedIdTypes]
            raise KlaviyoException(f"Invalid id_type provided, must be one of: {allowed}") from None
        data = {id_type: identifier}
        return self._endpoint_request(DataPrivacy.request_profile_deletion, {}, data)
