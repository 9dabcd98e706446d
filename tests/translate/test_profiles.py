"""Legacy identify → create-or-update: fixtures/translate/identify.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from tests import cases


@pytest.mark.parametrize("row", cases.load("identify"))
def test_identify(row: dict[str, Any]) -> None:
    cases.check(row)
