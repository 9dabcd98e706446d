"""The v1 campaign object (``_translate._campaign``): every new status has a legacy one, and a
field without a source is left out."""

from __future__ import annotations

from klaviyo_legacy_compat._core.translate._campaign import STATUS_MAP, campaign_object


def test_every_new_status_has_a_legacy_status() -> None:
    legacy = {status for status, _ in STATUS_MAP.values()}
    assert legacy <= {"draft", "scheduled", "sending", "sent", "cancelled", None}
    assert len(STATUS_MAP) == 18  # every status of the spec's enum


def test_a_field_without_a_source_is_left_out() -> None:
    assert campaign_object({"id": "C1", "attributes": {}}, []) == {"object": "campaign", "id": "C1"}
