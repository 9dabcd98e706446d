"""MIGRATION.md is generated from the catalogue and the translators, and is up to date."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from klaviyo_legacy_compat._core.catalogue import CATALOGUE
from klaviyo_legacy_compat._core.wire import ROUTES

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "generate_migration.py"
    spec = importlib.util.spec_from_file_location("generate_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_md_is_up_to_date() -> None:
    assert (ROOT / "MIGRATION.md").read_text(encoding="utf-8") == _generator().render(), (
        "regenerate: python scripts/generate_migration.py > MIGRATION.md"
    )


def test_every_wire_route_has_a_catalogue_row_and_back() -> None:
    served = {(method, pattern.pattern) for method, pattern, _ in ROUTES}
    rows = {(e.method, re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", e.path)) for e in CATALOGUE}
    assert served == rows


def test_every_example_translates() -> None:
    generator = _generator()
    for entry in CATALOGUE:
        assert generator.operations(entry), entry.path
