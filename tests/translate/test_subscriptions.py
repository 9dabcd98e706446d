"""Legacy subscribe, unsubscribe and exclusions: fixtures/translate/{subscribe_to_list,
unsubscribe,exclude_email}.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from tests import cases


@pytest.mark.parametrize("row", cases.load("subscribe_to_list"))
def test_subscribe_to_list(row: dict[str, Any]) -> None:
    cases.check(row)


@pytest.mark.parametrize("row", cases.load("unsubscribe"))
def test_unsubscribe(row: dict[str, Any]) -> None:
    cases.check(row)


@pytest.mark.parametrize("row", cases.load("exclude_email"))
def test_exclude_email(row: dict[str, Any]) -> None:
    cases.check(row)
