"""``klaviyo-legacy-compat migrate PATH...``: rewrite the imports of the retired packages
(``klaviyo``, ``klaviyo_sdk``, ``swagger_client`` and their modules) to the modules of this
library that stand in for them, so a codebase runs without those packages installed and
without :func:`klaviyo_legacy_compat.install`.

Each legacy module name becomes the module :data:`TARGETS` names: the package ``klaviyo``
becomes this library's package (the contract's import swap, ``import klaviyo_legacy_compat
as klaviyo``: it carries ``Klaviyo``, ``KlaviyoException`` and the legacy modules as
attributes) and ``klaviyo.exceptions`` its ``exceptions`` (the legacy names and the
library's own); every other name what ``install()`` makes it resolve to
(:data:`klaviyo_legacy_compat._surfaces.install.ALIASES`, the one table), so a migrated
program behaves as the unchanged program did under ``install()``:

- ``import klaviyo`` → ``import klaviyo_legacy_compat as klaviyo``
- ``import klaviyo as k``, ``import klaviyo.exceptions as e`` → the target ``as`` that name
- ``import klaviyo.api_helper`` binds ``klaviyo`` and loads its submodule: →
  ``import klaviyo_legacy_compat.legacy.api_helper, klaviyo_legacy_compat as klaviyo``
  (every submodule target is an attribute of its parent's target, as the legacy submodule
  was of its package)
- ``from klaviyo import Klaviyo`` → ``from klaviyo_legacy_compat import Klaviyo``;
  ``from klaviyo.exceptions import X`` → ``from klaviyo_legacy_compat.exceptions import
  X``; ``from klaviyo_sdk import Client`` → ``from klaviyo_legacy_compat.sdk import
  Client``; ``from swagger_client.rest import ApiException`` → ``from
  klaviyo_legacy_compat.sdk.rest import ApiException``
- ``from klaviyo import *`` → ``from klaviyo_legacy_compat.legacy import *``: the legacy
  package's names only (the library's ``track``, ``configure``, ... would shadow names the
  file imported before)

Only the dotted module names are replaced, located by the tokenizer: every other byte
(comments, parentheses, continuations, ``import os, klaviyo``'s other names, the encoding
with its BOM or PEP 263 cookie, CRLF line ends) stays as it was, and a second run changes
nothing. Relative imports and other top-level names (``klaviyo_api``, the new official SDK;
``klaviyo_helpers``; this library) are not legacy and stay. A legacy module no shim stands
in for (``swagger_client.models.list_id_subscribe_body``) is left as it is and reported.

:func:`migrate_source` is pure (bytes in, :class:`Migration` out); :func:`migrate_paths`
walks files and directories, prints diffs or writes the files.
"""

from __future__ import annotations

import ast
import difflib
import io
import os
import re
import stat
import tempfile
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from typing import Optional, TextIO

import attrs

from klaviyo_legacy_compat._surfaces.install import ALIASES

__all__ = [
    "SKIPPED_DIRECTORIES",
    "TARGETS",
    "MigrateError",
    "Migration",
    "migrate_paths",
    "migrate_source",
    "python_files",
]

#: Legacy module name → the module the codemod writes in its place: ``install()``'s, but
#: the package ``klaviyo`` and its ``exceptions`` become this library's own (contract §2,
#: "Swap one import"). A star import takes ``install()``'s (:func:`_target`).
TARGETS: dict[str, str] = {
    **ALIASES,
    "klaviyo": "klaviyo_legacy_compat",
    "klaviyo.exceptions": "klaviyo_legacy_compat.exceptions",
}

#: The top-level names of the retired packages: an import under one of them is legacy.
LEGACY_PACKAGES = frozenset(name.partition(".")[0] for name in TARGETS)

#: Directories a walk never enters: version control, environments, caches.
SKIPPED_DIRECTORIES = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})

#: What a directory walk picks up.
PYTHON_SUFFIXES = (".py", ".pyi")


class MigrateError(ValueError):
    """A file that cannot be migrated (unreadable, undecodable, not valid Python)."""


@attrs.frozen
class Migration:
    """One file's rewrite: the text before and after (decoded), its encoding, and the legacy
    imports left for a hand (``"line N: why"``)."""

    before: str
    after: str
    encoding: str
    rewritten: int
    left: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def encoded(self) -> bytes:
        """The migrated file's bytes, in its own encoding (``utf-8-sig`` keeps the BOM)."""
        return self.after.encode(self.encoding)

    def diff(self, path: str) -> str:
        """A unified diff (``patch -p0`` applies it); empty when nothing changed."""
        lines = difflib.unified_diff(
            _lines(self.before), _lines(self.after), fromfile=path, tofile=path
        )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines
        )


def _lines(text: str) -> list[str]:
    """Lines as the tokenizer reads them: split at ``\\n`` only (``\\r\\n`` stays whole; a
    form feed or ``\\x1c`` is not a line end, whatever ``str.splitlines`` thinks)."""
    return re.findall(r"[^\n]*\n|[^\n]+", text)


@attrs.frozen
class _Edit:
    start: int
    end: int
    text: str


def migrate_source(source: bytes) -> Migration:
    """Rewrite the legacy imports of one file's bytes; :class:`MigrateError` if it cannot be
    read as Python (the caller leaves it unchanged)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise MigrateError(f"cannot decode: {exc}") from None
    if text.encode(encoding) != source:
        raise MigrateError(f"does not read back byte for byte as {encoding}")
    try:
        with warnings.catch_warnings():
            # Parsing only proves the file is Python: its own warnings (an invalid escape
            # sequence, ...) are not ours to report.
            warnings.simplefilter("ignore")
            ast.parse(text)
        lines = _lines(text)
        tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    except (SyntaxError, ValueError, tokenize.TokenError) as exc:
        raise MigrateError(f"not valid Python: {exc}") from None
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[_Edit] = []
    left: list[str] = []
    for statement in _import_statements(tokens):
        for name, first, last, bound in _modules(statement):
            target = _target(name, star=statement[-1].string == "*")
            if target is None:
                if name.partition(".")[0] in LEGACY_PACKAGES:
                    left.append(f"line {first.start[0]}: {_no_shim(name)}")
                continue
            replacement = target
            if not bound:  # `import a` or `import a.b`: binds `a`, to keep the same name
                top = name.partition(".")[0]
                replacement = f"{target} as {top}"
                if top != name:
                    replacement = f"{target}, {TARGETS[top]} as {top}"
            begin = starts[first.start[0] - 1] + first.start[1]
            end = starts[last.end[0] - 1] + last.end[1]
            edits.append(_Edit(begin, end, replacement))
    after = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        after = after[: edit.start] + edit.text + after[edit.end :]
    return Migration(text, after, encoding, len(edits), tuple(left))


def _target(name: str, *, star: bool = False) -> Optional[str]:
    """The module standing in for a legacy module name (``from name import *``: the legacy
    layout's, whose names are the legacy package's only); None for any other name (and for
    a legacy module nothing stands in for)."""
    if name.partition(".")[0] not in LEGACY_PACKAGES:
        return None
    return (ALIASES if star else TARGETS).get(name)


def _no_shim(name: str) -> str:
    parent = name
    while "." in parent and parent not in TARGETS:
        parent = parent.rpartition(".")[0]
    return (
        f"{name}: no module of klaviyo_legacy_compat stands in for it, left as it is "
        f"(its package {parent} is {TARGETS[parent]}; import the names from there)"
    )


#: Tokens after which a statement may begin: `try: import klaviyo`, `import a; import b`.
_STATEMENT_BOUNDARIES = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL})


def _import_statements(tokens: Sequence[tokenize.TokenInfo]) -> Iterator[list[tokenize.TokenInfo]]:
    """The tokens of each import statement (comments and line continuations left out).

    A statement begins at the start of a logical line, or after ``;`` or a compound
    statement's ``:``. ``import`` and ``from`` are keywords: found there they begin an import
    (``yield from`` and ``raise ... from`` never stand there).
    """
    at_start = True
    statement: Optional[list[tokenize.TokenInfo]] = None
    for token in tokens:
        if token.type in _SKIPPED:
            continue
        if statement is not None:
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or token.string == ";":
                yield statement
                statement = None
            else:
                statement.append(token)
        elif at_start and token.type == tokenize.NAME and token.string in ("import", "from"):
            statement = [token]
        at_start = token.type in _STATEMENT_BOUNDARIES or (
            token.type == tokenize.OP and token.string in (";", ":")
        )
    if statement is not None:
        yield statement


def _modules(
    statement: list[tokenize.TokenInfo],
) -> Iterator[tuple[str, tokenize.TokenInfo, tokenize.TokenInfo, bool]]:
    """Each module an import statement names: its dotted name, its first and last token, and
    whether the statement binds a name of its own choosing (``as``, or ``from ... import``)
    rather than the module's top-level name."""
    if statement[0].string == "from":
        end = next(i for i, t in enumerate(statement) if i and t.string == "import")
        dotted = statement[1:end]
        if dotted and dotted[0].type == tokenize.NAME:  # not relative (`from . import x`)
            yield _dotted_name(dotted), dotted[0], dotted[-1], True
        return
    item: list[tokenize.TokenInfo] = []
    for token in [*statement[1:], None]:
        if token is None or token.string == ",":
            names = item[: next((i for i, t in enumerate(item) if t.string == "as"), len(item))]
            yield _dotted_name(names), names[0], names[-1], len(names) < len(item)
            item = []
        else:
            item.append(token)


def _dotted_name(tokens: Sequence[tokenize.TokenInfo]) -> str:
    return "".join(token.string for token in tokens)


# --- files ------------------------------------------------------------------------------------


def python_files(paths: Sequence[str]) -> Iterator[str]:
    """The files to migrate: each file named, and the Python files under each directory named
    (sorted; :data:`SKIPPED_DIRECTORIES` are not entered). A missing path: ``OSError``."""
    for path in paths:
        if os.path.isdir(path):
            for directory, subdirectories, files in os.walk(path):
                subdirectories[:] = sorted(
                    d for d in subdirectories if d not in SKIPPED_DIRECTORIES
                )
                for name in sorted(files):
                    if name.endswith(PYTHON_SUFFIXES):
                        yield os.path.join(directory, name)
        elif os.path.exists(path):
            yield path
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")


def _write(path: str, data: bytes) -> None:
    """Replace the file at once (a temporary file beside it, then ``os.replace``), keeping
    its permissions: an interrupted write never leaves half a file."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    handle, temporary = tempfile.mkstemp(
        dir=os.path.dirname(path) or ".", prefix=".migrate-", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def migrate_paths(paths: Sequence[str], *, write: bool, out: TextIO, err: TextIO) -> int:
    """Migrate every Python file under ``paths``: print each file's diff (or, with ``write``,
    rewrite the file and name it), and say on ``err`` what was left or could not be read.

    Exit status: 0 nothing to change (or, with ``write``, everything rewritten); 1 changes
    proposed, or legacy imports left for a hand; 2 a path missing or a file that could not be
    read or parsed (left unchanged; the other files are still migrated).
    """
    status = 0
    try:
        files = list(python_files(paths))
    except OSError as exc:
        err.write(f"klaviyo-legacy-compat migrate: {exc}\n")
        return 2
    for path in files:
        try:
            with open(path, "rb") as handle:
                migration = migrate_source(handle.read())
            if migration.changed and write:
                _write(path, migration.encoded())
        except (OSError, MigrateError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            err.write(f"klaviyo-legacy-compat migrate: {path}: {reason} (left unchanged)\n")
            status = 2
            continue
        for note in migration.left:
            err.write(f"klaviyo-legacy-compat migrate: {path}: {note}\n")
        if migration.changed and write:
            out.write(f"migrated {path}: {migration.rewritten} import(s) rewritten\n")
        elif migration.changed:
            out.write(migration.diff(path))
        if migration.left or (migration.changed and not write):
            status = max(status, 1)
    return status
