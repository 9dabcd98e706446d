"""The sdist and the wheel: built from a copy of this checkout (offline: the build backend is
in the test extra, no build isolation), the wheel from the sdist, as ``python -m build``
does; ``scripts/check_dist.py`` finds what each lacks. ``.ci/run`` builds them the way users
do, installs the wheel in a clean environment and runs the demo from it."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "scripts" / "check_dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_dist = _check_dist()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it, of a copy of the checkout (as it stands,
    uncommitted changes included; environments and caches left out)."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "*.egg-info", "__pycache__", "*_cache", ".hypothesis", "build", "dist"
        ),
    )
    out = work / "out"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def test_the_sdist_and_the_wheel_built_from_it_hold_what_they_must(dist: Path) -> None:
    assert check_dist.problems(dist) == []
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "klaviyo_legacy_compat/py.typed" in archive.namelist()
        assert "klaviyo_legacy_compat/demo.py" in archive.namelist()  # its listings' source


def _rewrite_sdist(sdist: Path, target: Path, leave_out: str, add: str = "") -> None:
    with tarfile.open(sdist) as old, tarfile.open(target, "w:gz") as new:
        top = old.getnames()[0].split("/")[0]
        for member in old.getmembers():
            if member.name != f"{top}/{leave_out}":
                new.addfile(member, old.extractfile(member) if member.isfile() else None)
        if add:
            extra = tarfile.TarInfo(f"{top}/{add}")
            extra.size = 1
            new.addfile(extra, io.BytesIO(b"x"))


def _rewrite_wheel(wheel: Path, target: Path, leave_out: str, add: str = "") -> None:
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name != leave_out:
                new.writestr(name, old.read(name))
        if add:
            new.writestr(add, "x")


@pytest.mark.parametrize(
    ("leave_out", "add", "problem"),
    [
        ("klaviyo_legacy_compat/py.typed", "", "no klaviyo_legacy_compat/py.typed"),
        ("README.md", "", "no README.md"),
        ("klaviyo_legacy_compat/_core/plan.py", "", "no klaviyo_legacy_compat/_core/plan.py"),
        ("", "tests/test_cli.py", "holds tests/test_cli.py"),
    ],
)
def test_a_file_missing_from_the_sdist_is_named(
    dist: Path, tmp_path: Path, leave_out: str, add: str, problem: str
) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    broken = tmp_path / sdist.name
    _rewrite_sdist(sdist, broken, leave_out, add)
    assert check_dist.sdist_problems(broken) == [f"{sdist.name}: {problem}"]


@pytest.mark.parametrize(
    ("leave_out", "add", "problem"),
    [
        ("klaviyo_legacy_compat/py.typed", "", "no klaviyo_legacy_compat/py.typed"),
        ("klaviyo_legacy_compat/cli.py", "", "no klaviyo_legacy_compat/cli.py"),
        ("", "tests/conftest.py", "holds tests/conftest.py"),
    ],
)
def test_a_file_missing_from_the_wheel_is_named(
    dist: Path, tmp_path: Path, leave_out: str, add: str, problem: str
) -> None:
    (wheel,) = dist.glob("*.whl")
    broken = tmp_path / wheel.name
    _rewrite_wheel(wheel, broken, leave_out, add)
    assert check_dist.wheel_problems(broken) == [f"{wheel.name}: {problem}"]


def test_wheel_metadata_is_checked(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    broken = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(broken, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name.endswith("/METADATA"):
                data = data.replace(b"Requires-Python: >=3.9", b"Requires-Python: >=3.10")
                data = data.replace(b"Requires-Dist: cattrs", b"Requires-Dist: xattrs")
            if name.endswith("/entry_points.txt"):
                data = b""
            new.writestr(name, data)
    assert check_dist.wheel_problems(broken) == [
        f"{wheel.name}: METADATA lacks 'Requires-Python: >=3.9'",
        f"{wheel.name}: METADATA does not require cattrs",
        f"{wheel.name}: no console script 'klaviyo-legacy-compat = klaviyo_legacy_compat.cli:main'",
    ]


def test_a_module_added_to_the_package_is_expected(tmp_path: Path) -> None:
    (tmp_path / "klaviyo_legacy_compat" / "sub").mkdir(parents=True)
    (tmp_path / "klaviyo_legacy_compat" / "sub" / "new.py").write_text("")
    (tmp_path / "klaviyo_legacy_compat" / "__pycache__").mkdir()
    (tmp_path / "klaviyo_legacy_compat" / "__pycache__" / "x.pyc").write_bytes(b"")
    assert check_dist.package_files(tmp_path) == {"klaviyo_legacy_compat/sub/new.py"}
