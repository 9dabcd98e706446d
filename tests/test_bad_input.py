"""Bad input is refused before anything is sent, with an error naming the field and the rule.

Every error row of the translator tables runs live here against a recording transport: the
error must come out and the transport must have received nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat.testing import RecordingTransport
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY

ERROR_ROWS = [
    param
    for param in cases.all_rows()
    if "error" in param.values[0]
    and "replies" not in param.values[0]
    and param.values[0]["error"]["type"] != "ConfigurationError"
]


@pytest.mark.parametrize("row", ERROR_ROWS)
def test_nothing_is_sent(row: dict[str, Any]) -> None:
    transport = RecordingTransport()
    options = {"private_key": PRIVATE_KEY, **row.get("options", {})}
    client = klaviyo.CompatClient(
        transport=transport,
        clock=lambda: NOW,
        **{k: v for k, v in options.items() if v is not None},
    )
    with pytest.raises(exceptions.TranslationError) as caught:
        cases.invoke(client, row)
    assert transport.count == 0
    error = caught.value
    assert isinstance(error, ValueError)  # generic ``except ValueError`` still works
    assert isinstance(error, exceptions.KlaviyoException)  # the legacy local-error family
    assert str(error).startswith(f"{error.field}: ")
    assert error.rule in str(error)


def test_there_is_a_row_for_every_kind_of_bad_input_the_issue_names() -> None:
    ids = {param.values[0]["id"] for param in ERROR_ROWS}
    assert {
        "error_no_identifier",
        "error_invalid_email",
        "error_phone_not_e164",
        "error_empty_list",
        "error_customer_properties_wrong_type",
        "error_metric_name_too_long",
    } <= ids


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("track", (None, {"$email": "a@example.com"})),
        ("track", (42, {"$email": "a@example.com"})),
        ("identify", ("a@example.com",)),
        ("subscribe_to_list", ("XyZ", "a@example.com")),
        ("subscribe_to_list", ("XyZ", [["a@example.com"]])),
        ("unsubscribe", ("XyZ", [42])),
        ("exclude_email", (None,)),
        ("exclude_email", ({"email": "a@example.com"},)),
    ],
)
def test_wrong_types_name_the_field(call: str, args: tuple[Any, ...]) -> None:
    transport = RecordingTransport()
    client = klaviyo.CompatClient(transport=transport, private_key=PRIVATE_KEY)
    with pytest.raises(exceptions.TranslationError) as caught:
        getattr(client, call)(*args)
    assert caught.value.field
    assert transport.count == 0
