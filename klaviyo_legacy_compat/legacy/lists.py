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
        return self._v2_request(self.LISTS, self.HTTP_GET)

    def create_list(self, list_name: str) -> Any:
        """Create a list: ``{"list_id"}``."""
        return self._v2_request(self.LISTS, self.HTTP_POST, {self.LIST_NAME: list_name})

    def get_list_by_id(self, list_id: str) -> Any:
        """One list's information."""
        return self._v2_request(f"{self.LIST}/{list_id}", self.HTTP_GET)

    def update_list_name_by_id(self, list_id: str, list_name: str) -> Any:
        """Rename a list; ``data`` is ``''``."""
        params = {self.LIST_NAME: list_name}
        return self._v2_request(f"{self.LIST}/{list_id}", self.HTTP_PUT, params)

    def delete_list(self, list_id: str) -> Any:
        """Delete a list; ``data`` is ``''``."""
        return self._v2_request(f"{self.LIST}/{list_id}", self.HTTP_DELETE)

    def add_subscribers_to_list(self, list_id: str, profiles: Iterable[Mapping[str, Any]]) -> Any:
        """Subscribe profiles (honours the list's double opt-in): the members, ``[]`` for a
        double opt-in list. ``profiles`` (any iterable) is read whole into the legacy JSON
        body; ``klaviyo_legacy_compat.subscribe_to_list`` streams one too long to hold."""
        path = f"{self.LIST}/{list_id}/{self.SUBSCRIBE}"
        return self._v2_request(path, self.HTTP_POST, {self.PROFILES: profiles})

    def get_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are subscribed to the list."""
        path = f"{self.LIST}/{list_id}/{self.SUBSCRIBE}"
        return self._v2_request(path, self.HTTP_GET, {self.EMAILS: emails})

    def delete_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Unsubscribe ``emails`` from the list (list members only); ``data`` is ``''``."""
        path = f"{self.LIST}/{list_id}/{self.SUBSCRIBE}"
        return self._v2_request(path, self.HTTP_DELETE, {self.EMAILS: emails})

    def add_members_to_list(self, list_id: str, profiles: Iterable[Mapping[str, Any]]) -> Any:
        """Add profiles to the list without changing consent: ``[{"id", "email", ...}]``."""
        path = f"{self.LIST}/{list_id}/{self.MEMBERS}"
        return self._v2_request(path, self.HTTP_POST, {self.PROFILES: profiles})

    def get_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are members of the list."""
        path = f"{self.LIST}/{list_id}/{self.MEMBERS}"
        return self._v2_request(path, self.HTTP_GET, {self.EMAILS: emails})

    def remove_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Remove ``emails`` from the list (consent unchanged); ``data`` is ``''``."""
        path = f"{self.LIST}/{list_id}/{self.MEMBERS}"
        return self._v2_request(path, self.HTTP_DELETE, {self.EMAILS: emails})

    def get_list_exclusions(self, list_id: str, marker: Optional[Any] = None) -> Any:
        """The list's exclusions, one page: ``{"records", "marker"}``."""
        path = f"{self.LIST}/{list_id}/{self.EXCLUSIONS}/{self.ALL}"
        return self._v2_request(path, self.HTTP_GET, self._build_marker_param(marker))

    def get_all_members(self, group_id: str, marker: Optional[Any] = None) -> Any:
        """All members of a list or segment, one page: ``{"records", "marker"}``."""
        path = f"{self.GROUP}/{group_id}/{self.MEMBERS}/{self.ALL}"
        return self._v2_request(path, self.HTTP_GET, self._build_marker_param(marker))

    def get_members_from_segment(self, segment_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` (at most 100) are in the segment (a v1 call, the emails
        comma-joined into one ``email`` parameter)."""
        path = f"{self.SEGMENT}/{segment_id}/{self.MEMBERS}"
        return self._v1_request(path, self.HTTP_GET, {self.EMAIL: ",".join(emails)})
