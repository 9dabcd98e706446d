"""The endpoint table is exactly what the generator makes of the spec, and lookups work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from klaviyo_legacy_compat._core.endpoints import endpoint, match_path
from tests.spec import SpecValidator

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> object:
    spec = importlib.util.spec_from_file_location(
        "generate_endpoints", ROOT / "scripts" / "generate_endpoints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_table_matches_the_spec(spec: SpecValidator) -> None:
    committed = (ROOT / "klaviyo_legacy_compat" / "_core" / "endpoint_table.py").read_text(
        encoding="utf-8"
    )
    assert _generator().render(spec.spec) == committed, (  # type: ignore[attr-defined]
        "regenerate: python scripts/generate_endpoints.py"
        " > klaviyo_legacy_compat/_core/endpoint_table.py"
    )


def test_documented_caps_and_limits() -> None:
    assert endpoint("bulk_subscribe_profiles").max_items == 1000
    assert endpoint("bulk_unsubscribe_profiles").max_items == 100
    assert endpoint("bulk_suppress_profiles").max_items == 100
    assert endpoint("bulk_import_profiles").max_items == 10000
    assert endpoint("bulk_create_events").max_items == 1000
    assert endpoint("add_profiles_to_list").max_items == 1000
    assert endpoint("create_or_update_profile").max_bytes == 100 * 1024
    assert (endpoint("create_event").burst, endpoint("create_event").steady) == (350, 3500)
    assert endpoint("create_list").daily == 150
    assert endpoint("create_client_subscription").steady == 750
    assert endpoint("create_client_event").is_client and not endpoint("create_event").is_client


def test_an_item_cap_is_read_from_the_table_never_invented() -> None:
    assert endpoint("bulk_unsubscribe_profiles").item_cap == 100
    with pytest.raises(KeyError, match="no per-call item cap for create_list"):
        _ = endpoint("create_list").item_cap


def test_match_path_prefers_literal_paths() -> None:
    found = match_path("GET", "/api/profiles/01ABC")
    assert found is not None and found.operation == "get_profile"
    found = match_path("POST", "/api/profile-import")
    assert found is not None and found.operation == "create_or_update_profile"
    assert match_path("PUT", "/api/profiles/01ABC") is None
