"""``klaviyo.profiles.Profiles`` of ``klaviyo`` 3.1.7: v1 people and the v2 people search.

Each method sends its legacy request as 3.1.7 did (legacy-surface.md A.6), answered by
``_translate/profiles.py`` and ``_translate/metrics.py``. ``update_profile`` sends the
properties in the query, as 3.1.7 did (strings; an object as JSON text);
``unset_profile_properties`` keeps the legacy check and message for a non-list argument.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

from klaviyo_legacy_compat._core.errors import KlaviyoException
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Profiles"]


class Profiles(KlaviyoAPI):
    """The v1 person API (private token)."""

    PERSON = "person"
    PEOPLE = "people"
    SEARCH = "search"

    def get_profile(self, profile_id: str) -> Any:
        """A person: the v1 person object."""
        return self._endpoint_request(Profiles.get_profile, {"person_id": profile_id})

    def update_profile(
        self, profile_id: str, properties: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """Update a person's properties; returns the updated person."""
        path = {"person_id": profile_id}
        return self._endpoint_request(Profiles.update_profile, path, properties)

    def get_profile_metrics_timeline(
        self, profile_id: str, since: Any = None, count: int = 100, sort: str = "desc"
    ) -> Any:
        """A person's events, newest first by default: ``{"data", "next"}``."""
        params = self._filter_params({self.COUNT: count, self.SORT: sort, self.SINCE: since})
        path = {"person_id": profile_id}
        return self._endpoint_request(Profiles.get_profile_metrics_timeline, path, params)

    def get_profile_metrics_timeline_by_id(
        self,
        profile_id: str,
        metric_id: str,
        since: Any = None,
        count: int = 100,
        sort: str = "desc",
    ) -> Any:
        """A person's events of one metric: ``{"data", "next"}``."""
        params = self._filter_params({self.COUNT: count, self.SORT: sort, self.SINCE: since})
        path = {"person_id": profile_id, "metric_id": metric_id}
        return self._endpoint_request(Profiles.get_profile_metrics_timeline_by_id, path, params)

    def get_profile_id_by_email(self, email: str) -> Any:
        """The profile id of an email address: ``{"id"}``."""
        return self._endpoint_request(Profiles.get_profile_id_by_email, {}, {self.EMAIL: email})

    def unset_profile_properties(
        self, profile_id: str, properties: Optional[list[str]] = None
    ) -> Any:
        """Remove custom properties from a person (3.1.7's default was ``[]``)."""
        properties = [] if properties is None else properties
        if not isinstance(properties, list):
            raise KlaviyoException('Argument "properties" must be a list.')
        params = {"$unset": json.dumps(properties)}
        path = {"person_id": profile_id}
        return self._endpoint_request(Profiles.unset_profile_properties, path, params)
