"""Legacy track → create_event: the table in fixtures/translate/track.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from tests import cases


@pytest.mark.parametrize("row", cases.load("track"))
def test_track(row: dict[str, Any]) -> None:
    cases.check(row)
