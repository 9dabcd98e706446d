"""LocalKlaviyo's lists and segments (new-api.md §3.5): list create, read, update and
delete, list members (read, filtered and sorted by ``joined_group_at``; added and removed
without touching consent), and the segments a test defines (read, and their members).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from klaviyo_legacy_compat.testing._filters import ordered, record_filter
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    additional,
    id_mismatch,
    one,
    page,
    render_profile,
    resource,
)
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import (
    Invalid,
    ListRecord,
    NotImplementedHere,
    Profile,
)
from klaviyo_legacy_compat.testing._validation import (
    capped,
    json_array,
    json_object,
    optional_text,
    request_data,
    required_text,
    resource_object,
)

__all__ = ["ListOperations"]


class ListOperations:
    """The handlers of lists, list members and segments (mixed into
    ``_operations.Operations``)."""

    store: Account

    # --- lists --------------------------------------------------------------------------------

    def _list(self, call: Call, record: ListRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "name": record.name,
            "created": record.created,
            "updated": record.updated,
            "opt_in_process": record.opt_in_process,
        }
        if "profile_count" in additional(call.query, "list"):
            attributes["profile_count"] = len(record.members)
        return resource(call, "list", record.id, attributes, path=f"/api/lists/{record.id}")

    @staticmethod
    def _list_fields(
        data: Mapping[str, Any], *, need_name: bool
    ) -> tuple[Optional[str], Optional[str]]:
        attributes = json_object(data.get("attributes"), "/data/attributes")
        unknown = set(attributes) - {"name", "opt_in_process"}
        if unknown:
            raise Invalid(f"Unknown list field(s): {sorted(unknown)}.", pointer="/data/attributes")
        name = optional_text(
            attributes.get("name"), "/data/attributes/name", nullable=not need_name
        )
        if need_name and not name:
            raise Invalid("name is required.", pointer="/data/attributes/name")
        opt_in = optional_text(attributes.get("opt_in_process"), "/data/attributes/opt_in_process")
        if opt_in not in (None, "single_opt_in", "double_opt_in"):
            raise Invalid(
                "opt_in_process must be single_opt_in or double_opt_in.",
                pointer="/data/attributes/opt_in_process",
            )
        return name, opt_in

    def get_lists(self, call: Call) -> Reply:
        """``GET /api/lists``: 10 per page at most (new-api.md §5)."""
        match = record_filter(call)
        found = self.store.lists_where(match)
        items, links = page(call, found, default=10, maximum=10)
        return Reply(200, {"data": [self._list(call, r) for r in items], "links": links})

    def create_list(self, call: Call) -> Reply:
        """``POST /api/lists``: 201; opt-in process single unless given."""
        name, opt_in = self._list_fields(request_data(call.body, "list"), need_name=True)
        assert name is not None
        list_id = self.store.create_list(name, opt_in or "single_opt_in")
        return Reply(201, {"data": self._list(call, self.store.get_list(list_id))})

    def get_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}``: ``fields[list]``, ``additional-fields[list]``."""
        record = self.store.get_list(call.path_params["id"])
        return one(call, self._list(call, record))

    def update_list(self, call: Call) -> Reply:
        """``PATCH /api/lists/{id}``."""
        data = request_data(call.body, "list")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        name, opt_in = self._list_fields(data, need_name=False)
        record = self.store.update_list(call.path_params["id"], name=name, opt_in_process=opt_in)
        return Reply(200, {"data": self._list(call, record)})

    def delete_list(self, call: Call) -> Reply:
        """``DELETE /api/lists/{id}``: 204."""
        self.store.delete_list(call.path_params["id"])
        return Reply(204)

    # --- members ------------------------------------------------------------------------------

    def _members(
        self, call: Call, members: Optional[list[tuple[Profile, str]]] = None
    ) -> tuple[Sequence[tuple[Profile, str]], dict[str, Any]]:
        """A page of a list's members (or of ``members``, a segment's), filtered and sorted
        by ``joined_group_at``."""
        match = record_filter(call)
        if members is None:
            members = self.store.members(call.path_params["id"])
        found = [(p, joined) for p, joined in members if match((p, joined))]
        sort = call.query.get("sort")
        if sort not in (None, "joined_group_at", "-joined_group_at"):
            raise Invalid("sort must be joined_group_at or -joined_group_at.", parameter="sort")
        if sort == "-joined_group_at":
            found.reverse()
        return page(call, found, default=20, maximum=100)

    def get_profiles_for_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}/profiles``: members with ``joined_group_at``."""
        items, links = self._members(call)
        data = [render_profile(call, p, {"joined_group_at": joined}) for p, joined in items]
        return Reply(200, {"data": data, "links": links})

    def get_profile_ids_for_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}/relationships/profiles``: member ids only."""
        items, links = self._members(call)
        return Reply(
            200, {"data": [{"type": "profile", "id": p.id} for p, _ in items], "links": links}
        )

    def _profile_ids(self, call: Call) -> list[str]:
        data = json_array(json_object(call.body, "").get("data"), "/data")
        capped(len(data), call.row, "/data")
        return [
            required_text(resource_object(item, f"/data/{i}", "profile").get("id"), f"/data/{i}/id")
            for i, item in enumerate(data)
        ]

    def add_profiles_to_list(self, call: Call) -> Reply:
        """``POST /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        self.store.add_to_list(call.path_params["id"], self._profile_ids(call))
        return Reply(204)

    def remove_profiles_from_list(self, call: Call) -> Reply:
        """``DELETE /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        ids = self._profile_ids(call)
        self.store.remove_from_list(call.path_params["id"], ids)
        return Reply(204)

    # --- segments -----------------------------------------------------------------------------

    def get_segments(self, call: Call) -> Reply:
        """``GET /api/segments``: 10 a page at most (spec), sortable by the spec's keys. A
        segment here has no definition (a test names its members) and is always active."""
        if call.query.get("include"):
            raise NotImplementedHere(
                "LocalKlaviyo keeps no segment tags or flow triggers.", parameter="include"
            )
        match = record_filter(call)
        found = ordered(call, self.store.segments_where(match))
        items, links = page(call, found, default=10, maximum=10)
        data = [
            resource(
                call,
                "segment",
                segment.id,
                {
                    "name": segment.name,
                    "definition": None,
                    "created": segment.created,
                    "updated": segment.updated,
                    "is_active": True,
                    "is_processing": False,
                    "is_starred": False,
                },
                path=f"/api/segments/{segment.id}",
            )
            for segment in items
        ]
        return Reply(200, {"data": data, "links": links})

    def get_profiles_for_segment(self, call: Call) -> Reply:
        """``GET /api/segments/{id}/profiles``: members with ``joined_group_at``, as a list's
        (the segment's members are the ones a test gave it)."""
        members = self.store.segment_members(call.path_params["id"])
        items, links = self._members(call, members)
        data = [render_profile(call, p, {"joined_group_at": joined}) for p, joined in items]
        return Reply(200, {"data": data, "links": links})
