"""``klaviyo.lists.Lists`` of ``klaviyo`` 3.1.7: the v2 list and segment calls.

Each method builds the call its legacy v2 request stood for (``api_key`` and the arguments in
a JSON body, legacy-surface.md A.6) and runs it through the translators of
``_translate/lists.py`` and ``_translate/subscriptions.py``; MIGRATION.md lists what each
becomes. ``add_subscribers_to_list`` returns the members (``[]`` for a double opt-in list),
``delete_subscribers_from_list`` only touches list members, updates and deletes return
``''``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Lists"]


class Lists(KlaviyoAPI):
    """The v2 lists API (private token)."""

    LISTS = "lists"
    LIST = "list"
    SUBSCRIBE = "subscribe"
    MEMBERS = "members"
    EXCLUSIONS = "exclusions"
    ALL = "all"
    GROUP = "group"
    SEGMENT = "segment"

    def get_lists(self) -> Any:
        """All lists: ``[{"list_id", "list_name"}]``."""
        return self._v2_request("lists", self.HTTP_GET)

    def create_list(self, list_name: str) -> Any:
        """Create a list: ``{"list_id"}``."""
        return self._v2_request("lists", self.HTTP_POST, {"list_name": list_name})

    def get_list_by_id(self, list_id: str) -> Any:
        """One list's information."""
        return self._v2_request(f"list/{list_id}", self.HTTP_GET)

    def update_list_name_by_id(self, list_id: str, list_name: str) -> Any:
        """Rename a list; ``data`` is ``''``."""
        return self._v2_request(f"list/{list_id}", self.HTTP_PUT, {"list_name": list_name})

    def delete_list(self, list_id: str) -> Any:
        """Delete a list; ``data`` is ``''``."""
        return self._v2_request(f"list/{list_id}", self.HTTP_DELETE)

    def add_subscribers_to_list(self, list_id: str, profiles: Iterable[Mapping[str, Any]]) -> Any:
        """Subscribe profiles (honours the list's double opt-in): the members, ``[]`` for a
        double opt-in list."""
        return self._v2_request(f"list/{list_id}/subscribe", self.HTTP_POST, {"profiles": profiles})

    def get_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are subscribed to the list."""
        return self._v2_request(f"list/{list_id}/subscribe", self.HTTP_GET, {"emails": emails})

    def delete_subscribers_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Unsubscribe ``emails`` from the list (list members only); ``data`` is ``''``."""
        return self._v2_request(f"list/{list_id}/subscribe", self.HTTP_DELETE, {"emails": emails})

    def add_members_to_list(self, list_id: str, profiles: Sequence[Mapping[str, Any]]) -> Any:
        """Add profiles to the list without changing consent: ``[{"id", "email", ...}]``."""
        return self._v2_request(f"list/{list_id}/members", self.HTTP_POST, {"profiles": profiles})

    def get_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` are members of the list."""
        return self._v2_request(f"list/{list_id}/members", self.HTTP_GET, {"emails": emails})

    def remove_members_from_list(self, list_id: str, emails: Sequence[str]) -> Any:
        """Remove ``emails`` from the list (consent unchanged); ``data`` is ``''``."""
        return self._v2_request(f"list/{list_id}/members", self.HTTP_DELETE, {"emails": emails})

    def get_list_exclusions(self, list_id: str, marker: Optional[Any] = None) -> Any:
        """The list's exclusions, one page: ``{"records", "marker"}``."""
        return self._v2_request(
            f"list/{list_id}/exclusions/all", self.HTTP_GET, self._build_marker_param(marker)
        )

    def get_all_members(self, group_id: str, marker: Optional[Any] = None) -> Any:
        """All members of a list or segment, one page: ``{"records", "marker"}``."""
        return self._v2_request(
            f"group/{group_id}/members/all", self.HTTP_GET, self._build_marker_param(marker)
        )

    def get_members_from_segment(self, segment_id: str, emails: Sequence[str]) -> Any:
        """Which of ``emails`` (at most 100) are in the segment (a v1 call)."""
        return self._v1_request(
            f"segment/{segment_id}/members", self.HTTP_GET, {"email": ",".join(emails)}
        )
