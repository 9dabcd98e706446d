"""``klaviyo.lists.Lists`` of ``klaviyo`` 3.1.7: the v2 list and segment calls.

Each method sends its legacy v2 request as 3.1.7 did (``api_key`` and the arguments in a JSON
body, legacy-surface.md A.6; ``get_members_from_segment`` a v1 query), answered by the
translators of ``_translate/lists.py`` and ``_translate/subscriptions.py``; MIGRATION.md lists
what each becomes. ``add_subscribers_to_list`` returns the members (``[]`` for a double
opt-in list), ``delete_subscribers_from_list`` only touches list members, updates and
deletes return ``''``. ``profiles`` may be any iterable; it is read whole into the JSON body
(for a stream too long to hold, the module-level ``subscribe_to_list`` reads it lazily).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Lists"]


class Lists(KlaviyoAPI):
    """The v2 lists API (private token)."""

    LIST = "list"
    LISTS = "lists"
    SEGMENT = "segment"
    SUBSCRIBE = "subscribe"
    MEMBERS = "members"
    EXCLUSIONS = "exclusions"
    ALL = "all"
    GROUP = "group"
    LIST_NAME = "list_name"

    def get_lists(self) -> Any:
        """All lists: ``[{"list_id", "list_name"}]``."""
        return self._endpoint_request(Lists.get_lists, {})

    def create_list(self, list_name: str) -> Any:
        """Create a list: ``{"list_id"}``."""
        return self._endpoint_request(Lists.create_list, {}, {self.LIST_NAME: list_name})

    def get_list_by_id(self, list_id: str) -> Any:
        """One list's information."""
        return self._endpoint_request(Lists.get_list_by_id, {"list_id": list_id})

    def update_list_name_by_id(self, list_id: str, list_name: str) -> Any:
        """Rename a list; ``data`` is ``''``."""
        params = {self.LIST_NAME: list_name}
        return self._endpoint_request(Lists.update_list_name_by_id, {"list_id": list_id}, params)

    def delete_list(self, list_id: str) -> Any:
        """Delete a list; ``data`` is ``''``."""
        return self._endpoint_request(Lists.delete_list, {"list_id": list_id})

    def add_subscribers_to_list(self, list_id: str, profiles: Iterable[Mapping[str, Any]]) -> Any:
        """Subscribe profiles (honours the list's double opt-in): the members, ``[]`` for a
        double opt-in list. ``profiles`` (any iterable) is read whole into the legacy JSON
        body; ``klaviyo_legacy_compat.subscribe_to_list`` streams one too long to hold."""
        path = {"list_id": list_id}
        return self._endpoint_request(
            Lists.add_subscribers_to_list, path, {self.PROFILES: profiles}
        )

    def get_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are subscribed to the list."""
        path = {"list_id": list_id}
        return self._endpoint_request(Lists.get_subscribers_from_list, path, {self.EMAILS: emails})

    def delete_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Unsubscribe ``emails`` from the list (list members only); ``data`` is ``''``."""
        path = {"list_id": list_id}
        data = {self.EMAILS: emails}
        return self._endpoint_request(Lists.delete_subscribers_from_list, path, data)

    def add_members_to_list(self, list_id: str, profiles: Iterable[Mapping[str, Any]]) -> Any:
        """Add profiles to the list without changing consent: ``[{"id", "email", ...}]``."""
        path = {"list_id": list_id}
        return self._endpoint_request(Lists.add_members_to_list, path, {self.PROFILES: profiles})

    def get_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are members of the list."""
        path = {"list_id": list_id}
        return self._endpoint_request(Lists.get_members_from_list, path, {self.EMAILS: emails})

    def remove_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Remove ``emails`` from the list (consent unchanged); ``data`` is ``''``."""
        path = {"list_id": list_id}
        data = {self.EMAILS: emails}
        return self._endpoint_request(Lists.remove_members_from_list, path, data)

    def get_list_exclusions(self, list_id: str, marker: Optional[Any] = None) -> Any:
        """The list's exclusions, one page: ``{"records", "marker"}``."""
        path = {"list_id": list_id}
        marker_param = self._build_marker_param(marker)
        return self._endpoint_request(Lists.get_list_exclusions, path, marker_param)

    def get_all_members(self, group_id: str, marker: Optional[Any] = None) -> Any:
        """All members of a list or segment, one page: ``{"records", "marker"}``."""
        path = {"group_id": group_id}
        marker_param = self._build_marker_param(marker)
        return self._endpoint_request(Lists.get_all_members, path, marker_param)

    def get_members_from_segment(self, segment_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` (at most 100) are in the segment (a v1 call, the emails
        comma-joined into one ``email`` parameter)."""
        path = {"segment_id": segment_id}
        params = {self.EMAIL: ",".join(emails)}
        return self._endpoint_request(Lists.get_members_from_segment, path, params)
