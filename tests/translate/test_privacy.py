"""Legacy v2 data privacy → deletion jobs: fixtures/translate/privacy.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.translate.privacy import (
    CONFIRMATION,
    ENDPOINTS,
    DeletionRequestCall,
)
from tests import cases


@pytest.mark.parametrize("row", cases.load("privacy"))
def test_privacy(row: dict[str, Any]) -> None:
    cases.check(row)


def test_the_klaviyo_facade_form_builds_the_same_call() -> None:
    # klaviyo 3.1.7 request_profile_deletion(identifier, id_type) sends {id_type: identifier}.
    (endpoint,) = ENDPOINTS
    build = endpoint.builder
    assert build is not None
    assert build({"person_id": "01HANN"}, {}) == DeletionRequestCall("person_id", "01HANN")
    assert build({"email": " ann@example.com "}, {}) == DeletionRequestCall(
        "email", "ann@example.com"
    )
    assert CONFIRMATION == "Submitted new deletion task for customer."
