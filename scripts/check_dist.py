"""Check a built sdist and wheel: each holds what it must, and nothing it must not.

Usage: ``python scripts/check_dist.py DIST_DIR`` (one ``*.tar.gz`` and one ``*.whl`` in it;
``.ci/run`` builds them with ``python -m build``, the wheel from the sdist). Prints each
file's size; exits 1 after naming every problem.

- Both hold every file of the package in this checkout (``klaviyo_legacy_compat/``: its
  modules and ``py.typed``, found by walking it, so a module added later is expected too).
- The sdist holds what a build from it needs: ``pyproject.toml``, ``README.md`` (the
  project's long description), ``PKG-INFO``, and the licence files if the checkout has any;
  no ``tests/`` (without their helpers and ``fixtures/`` they could not run).
- The wheel holds the package and its ``dist-info`` only; its metadata names the console
  script, ``Requires-Python: >=3.9`` and the three runtime dependencies.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "klaviyo_legacy_compat"

#: What the sdist holds besides the package, at its top.
SDIST_FILES = ("pyproject.toml", "README.md", "PKG-INFO")
#: Licence files setuptools ships by default (``license-files``).
LICENCE_PATTERNS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")
#: The wheel's metadata: each line must be there as written.
WHEEL_METADATA = ("Requires-Python: >=3.9",)
WHEEL_REQUIRES = ("requests", "attrs", "cattrs")
ENTRY_POINT = "klaviyo-legacy-compat = klaviyo_legacy_compat.cli:main"


def package_files(root: Path = ROOT) -> set[str]:
    """The files of the package in the checkout, as paths relative to ``root``."""
    found = set()
    for path in (root / PACKAGE).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.add(path.relative_to(root).as_posix())
    return found


def licence_files(root: Path = ROOT) -> set[str]:
    return {path.name for pattern in LICENCE_PATTERNS for path in root.glob(pattern)}


def sdist_problems(sdist: Path, root: Path = ROOT) -> list[str]:
    """What the sdist lacks, or holds and must not."""
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    inside = {name[len(top) + 1 :] for name in names if name.startswith(top + "/")}
    problems = [
        f"{sdist.name}: no {name}"
        for name in sorted(package_files(root) | set(SDIST_FILES) | licence_files(root))
        if name not in inside
    ]
    problems += [
        f"{sdist.name}: holds {name}" for name in sorted(inside) if name.startswith("tests/")
    ]
    return problems


def wheel_problems(wheel: Path, root: Path = ROOT) -> list[str]:
    """What the wheel lacks, or holds and must not."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(
            (name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA")), ""
        )
        metadata = archive.read(f"{info}/METADATA").decode() if info else ""
        entry_points = (
            archive.read(f"{info}/entry_points.txt").decode()
            if f"{info}/entry_points.txt" in names
            else ""
        )
    problems = [
        f"{wheel.name}: no {name}" for name in sorted(package_files(root)) if name not in names
    ]
    problems += [
        f"{wheel.name}: holds {name}"
        for name in sorted(names)
        if not name.startswith((PACKAGE + "/", info + "/")) or not info
    ]
    if not info:
        return [*problems, f"{wheel.name}: no .dist-info/METADATA"]
    fields = Parser().parsestr(metadata)
    problems += [
        f"{wheel.name}: METADATA lacks {line!r}"
        for line in WHEEL_METADATA
        if line not in metadata.splitlines()
    ]
    required = [value.split(";")[0] for value in fields.get_all("Requires-Dist") or []]
    problems += [
        f"{wheel.name}: METADATA does not require {name}"
        for name in WHEEL_REQUIRES
        if not any(value.startswith(name) for value in required)
    ]
    if ENTRY_POINT not in entry_points.splitlines():
        problems.append(f"{wheel.name}: no console script {ENTRY_POINT!r}")
    return problems


def problems(dist: Path, root: Path = ROOT) -> list[str]:
    """Every problem of the one sdist and the one wheel in ``dist``."""
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return [f"{dist}: expected one sdist and one wheel, found {len(sdists)} and {len(wheels)}"]
    return sdist_problems(sdists[0], root) + wheel_problems(wheels[0], root)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/check_dist.py DIST_DIR", file=sys.stderr)
        return 2
    dist = Path(argv[0])
    for path in sorted(dist.iterdir()):
        print(f"check_dist: {path.name}: {path.stat().st_size:,} bytes")
    found = problems(dist)
    for problem in found:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not found:
        print("check_dist: the sdist and the wheel hold what they must")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
