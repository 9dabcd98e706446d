"""The public surface: explicit, sorted, complete, importable."""

from __future__ import annotations

import importlib

import pytest

import klaviyo_legacy_compat


@pytest.mark.parametrize("module", ["klaviyo_legacy_compat", "klaviyo_legacy_compat.exceptions"])
def test_all_is_sorted_and_complete(module: str) -> None:
    loaded = importlib.import_module(module)
    names = loaded.__all__
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(loaded, name), name
    public = {
        name
        for name, value in vars(loaded).items()
        if not name.startswith("_")
        and not isinstance(value, type(importlib))
        and name != "annotations"
    }
    assert public <= set(names), public - set(names)


def test_every_private_module_declares_all() -> None:
    import pkgutil

    for info in pkgutil.walk_packages(klaviyo_legacy_compat.__path__, "klaviyo_legacy_compat."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        assert hasattr(module, "__all__"), info.name


def test_the_package_is_typed() -> None:
    from importlib.resources import files

    assert files("klaviyo_legacy_compat").joinpath("py.typed").is_file()
