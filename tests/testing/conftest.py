"""Fixtures of the LocalKlaviyo tests: a fresh server, and a JSON:API client whose answers
must fit the spec's response schemas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.spec import SpecValidator
from tests.testing.jsonapi import Api


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


@pytest.fixture
def api(server: LocalKlaviyo, spec: SpecValidator) -> Iterator[Api]:
    client = Api(server, spec)
    yield client
    client.close()
