"""``klaviyo.data_privacy`` of ``klaviyo`` 3.1.7: profile deletion requests (v2), through
``_translate/privacy.py``; ``id_type`` is checked before anything is sent, with the legacy
message."""

from __future__ import annotations

import enum
from typing import Any

from klaviyo_legacy_compat._errors import KlaviyoException
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
        allowed = [item.value for item in AllowedIdTypes]
        if id_type not in allowed:
            raise KlaviyoException(f"Invalid id_type provided, must be one of: {allowed}")
        return self._v2_request(
            f"{self.DATA_PRIVACY}/{self.DELETION_REQUEST}", self.HTTP_POST, {id_type: identifier}
        )
