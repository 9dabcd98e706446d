"""The shared helpers of the legacy classes, where their order or contract is observable."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat.legacy.public import Public
from tests.conftest import PRIVATE_KEY, PUBLIC_KEY


def _unreadable() -> dict[str, Any]:
    raise AssertionError("properties were read before the legacy checks passed")


@pytest.mark.parametrize(
    ("public_token", "email", "method", "message"),
    [
        (None, "a@example.com", "get", "Public token is not defined"),
        (PUBLIC_KEY, "a@example.com", "put", "Invalid HTTP method for public request"),
        (PUBLIC_KEY, None, "get", "You must identify a user by email or ID."),
    ],
)
def test_identified_checks_before_reading_the_properties(
    public_token: Any, email: Any, method: str, message: str
) -> None:
    public = Public(public_token=public_token, private_token=PRIVATE_KEY)
    with pytest.raises(exceptions.KlaviyoException, match=message):
        public._identified(_unreadable, email, None, method)


def test_identified_adds_email_and_id() -> None:
    public = Public(public_token=PUBLIC_KEY)
    base = {"plan": "gold"}
    assert public._identified(lambda: dict(base), "a@example.com", 12, "GET") == {
        "plan": "gold",
        "email": "a@example.com",
        "id": 12,
    }
    assert public._identified(dict, None, 12, "post") == {"id": 12}
    assert base == {"plan": "gold"}


def test_track_reports_a_missing_identifier_before_bad_customer_properties() -> None:
    with pytest.raises(exceptions.KlaviyoException, match="You must identify"):
        Public(public_token=PUBLIC_KEY).track("E", customer_properties=5)  # type: ignore[arg-type]
