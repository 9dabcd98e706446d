"""The on-disk spool of batching mode: items kept until Klaviyo has accepted them.

Batching mode tells a legacy caller "accepted" as soon as its call is translated, and sends
the translated items to Klaviyo later, in bulk. Between those two moments the items live
here, in one SQLite file, so that a crash or a ``kill -9`` loses nothing: the next
:class:`Spool` opened on the same path finds them, and the batcher drains them.

The life of an item::

    add ──► pending ──take──► in_flight ──done──► deleted: Klaviyo accepted it
              ▲  ▲                │   │
              │  └────release─────┘   └──fail──► failed: kept, with Klaviyo's reason
              │     (or a crash, on the next open)          │
              └──────────────retry_failed───────────────────┘

Why SQLite in WAL mode: a commit is one append to the write-ahead log and one ``fsync``,
cheap enough to do before every "accepted" (a rollback journal costs several writes and
syncs a commit); and the log's frames are checksummed, so a process killed half way through
a write leaves a tail that SQLite ignores on the next open, never a half-written item.

Durability guarantees:

- when :meth:`Spool.add` or :meth:`Spool.add_many` returns, its items are committed and the
  log is flushed with ``fsync`` (``synchronous=FULL``): they survive the process being
  killed, and the operating system crashing or the power failing too;
- every method is one transaction: it happens whole or not at all;
- items left in flight by a crash go back to pending when the spool is next opened, in
  their original order. Klaviyo may then receive an item twice (sent before the crash and
  again after it): delivery is *at least once*, never lossy;
- nothing is dropped silently. A file that is not a spool, is corrupt, or stays locked gives
  a :class:`SpoolError` that says what to do; this module never deletes or overwrites it.

One owner at a time: a spool belongs to the one process, and the one :class:`Spool`, that
opened it, enforced by an exclusive ``flock`` on ``<path>.lock``. Two owners would each put
the other's in-flight items back to pending and send them twice. The kernel drops the lock
when its process ends, however it ends, so a crash never leaves a spool stuck. The lock file
stays in place (removing it would let two processes each lock a different file). Open the
spool after forking, never before: a forked child shares its parent's lock. Windows has no
``flock``, so there the rule is not enforced: SQLite's own locking keeps the file consistent
but cannot stop two processes sharing one spool, so give each process its own path.

WAL needs shared memory beside the file, so keep the spool on a local file system, not on a
network share. The file is created readable by its owner only: items hold profile data.
"""

from __future__ import annotations

import contextlib
import json
import math
import operator
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import quote

from klaviyo_legacy_compat._core.errors import ConfigurationError

if sys.platform != "win32":
    import fcntl

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Spool", "SpoolError"]

#: The table layout, kept in ``PRAGMA user_version``. A spool with any other version was
#: written by another release of this library and is refused rather than guessed at.
SCHEMA_VERSION = 1

#: Marks a SQLite file as a spool (``PRAGMA application_id``; the bytes spell "KLSP"), so
#: that a spool path pointing at some other database is refused instead of gaining a table.
APPLICATION_ID = 0x4B4C5350

#: The first 16 bytes of every SQLite database file (https://sqlite.org/fileformat.html).
_SQLITE_HEADER = b"SQLite format 3\x00"

#: Ids per ``IN (...)`` list: SQLite before 3.32 allows at most 999 parameters a statement.
_CHUNK = 500

_CREATE_TABLE = """
CREATE TABLE items (
    -- AUTOINCREMENT: ids are never reused, so a late done() can never delete a newer item,
    -- and they follow arrival order, which take() hands out.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'failed')),
    body TEXT NOT NULL,
    reason TEXT,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_CREATE_INDEX = "CREATE INDEX items_by_kind_state ON items (kind, state, id)"

_MOVE_ASIDE = (
    "Nothing was changed: move the file aside (with its -wal and -shm files, if any) to "
    "keep its items for inspection; a new spool is then created at this path. This library "
    "never deletes or overwrites it."
)


class SpoolError(ConfigurationError):
    """The spool cannot be used safely: not a spool, corrupt, locked, owned by another
    process, or given an item JSON cannot hold. ``path`` is the spool's file (``None`` for a
    bad item). The message says what is wrong and what to do; nothing is lost silently."""

    def __init__(self, message: str, path: Optional[Path] = None) -> None:
        super().__init__(message)
        self.path = path


class Spool:
    """A crash-safe, thread-safe queue of JSON items on disk, grouped by ``kind``.

    ``Spool(path, timeout=5.0)`` opens the spool at ``path``, creating it if absent, takes
    the one-owner lock, checks the file (``PRAGMA quick_check``) and puts items a crash left
    in flight back to pending. ``timeout`` is how long, in seconds, to wait for SQLite's
    lock when another program has the file open. ``create=False`` opens only a spool that
    exists (``klaviyo-legacy-compat spool`` inspects one): a missing file, or one that is no
    spool yet, is refused and left as it was. Raises :class:`SpoolError`.

    All methods may be called from any thread: one connection serves them, one at a time.
    """

    path: Path

    def __init__(
        self, path: Union[str, os.PathLike[str]], *, timeout: float = 5.0, create: bool = True
    ) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.create = create
        if not create and not self.path.is_file():
            # Before the lock file too: nothing is made beside a path that holds no spool.
            problem = "not a file" if self.path.exists() else "no such file"
            raise SpoolError(f"no spool at {self.path}: {problem}", self.path)
        # One connection, one lock: sqlite3 connections must not be used by two threads at
        # once, and serialising here also makes take()'s select-then-mark atomic.
        self._lock = threading.Lock()
        self._connection: Optional[sqlite3.Connection] = None
        self._owner_fd = _acquire_owner_lock(self.path)
        try:
            _check_header(self.path)
            self._connection = self._open()
        except BaseException:
            self._release_owner_lock()
            raise

    def __repr__(self) -> str:
        return f"<Spool {str(self.path)!r}{'' if self._connection else ' (closed)'}>"

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def add(self, kind: str, item: Mapping[str, Any]) -> int:
        """Store ``item`` as pending; returns its id. Durable when it returns.

        An item JSON cannot hold raises :class:`SpoolError` naming the part at fault, and
        nothing is stored."""
        _check_kind(kind)
        body = _encode(kind, item, "item")
        with self._transaction("adding an item") as db:
            return _row_id(db.execute(_INSERT, (kind, body)))

    def add_many(self, kind: str, items: Iterable[Mapping[str, Any]]) -> list[int]:
        """Store ``items`` as pending, in order, in one transaction; returns their ids.

        Every item is checked before any is stored: one bad item stores none."""
        _check_kind(kind)
        bodies = [_encode(kind, item, f"items[{n}]") for n, item in enumerate(items)]
        if not bodies:
            return []
        with self._transaction("adding items") as db:
            return [_row_id(db.execute(_INSERT, (kind, body))) for body in bodies]

    def take(self, kind: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Up to ``limit`` pending items of ``kind``, oldest first, as ``(id, item)``; they
        are marked in flight in the same transaction. Settle each with :meth:`done`,
        :meth:`release` or :meth:`fail`."""
        _check_kind(kind)
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        if limit == 0:
            return []
        with self._transaction("taking items") as db:
            rows = db.execute(
                "SELECT id, body FROM items WHERE kind = ? AND state = 'pending' "
                "ORDER BY id LIMIT ?",
                (kind, limit),
            ).fetchall()
            # Decoded before the commit, so an unreadable body leaves every item pending.
            taken = [(row_id, self._decode(row_id, body)) for row_id, body in rows]
            for chunk in _chunks([row_id for row_id, _ in taken]):
                db.execute(
                    f"UPDATE items SET state = 'in_flight' WHERE id IN ({_marks(chunk)})", chunk
                )
        return taken

    def done(self, ids: Iterable[int]) -> None:
        """Klaviyo accepted these in-flight items: delete them."""
        self._settle(ids, "in_flight", "DELETE FROM items", (), "marking items done")

    def release(self, ids: Iterable[int]) -> None:
        """Delivery of these in-flight items failed for now: make them pending again. They
        keep their id, hence their place in the order."""
        self._settle(ids, "in_flight", "UPDATE items SET state = 'pending'", (), "releasing items")

    def fail(self, ids: Iterable[int], reason: str) -> None:
        """Klaviyo rejected these in-flight items: keep them as failed, with ``reason``."""
        self._settle(
            ids,
            "in_flight",
            "UPDATE items SET state = 'failed', reason = ?",
            (reason,),
            "marking items failed",
        )

    def retry_failed(self, ids: Optional[Iterable[int]] = None) -> int:
        """Make failed items pending again (all of them when ``ids`` is ``None``), in their
        original order and without their reason; returns how many."""
        sql = "UPDATE items SET state = 'pending', reason = NULL"
        if ids is not None:
            return self._settle(ids, "failed", sql, (), "retrying failed items")
        with self._transaction("retrying failed items") as db:
            return db.execute(f"{sql} WHERE state = 'failed'").rowcount

    # -- reading ---------------------------------------------------------------------------

    def failed(self, kind: Optional[str] = None) -> list[tuple[int, str, dict[str, Any], str]]:
        """Failed items, oldest first, as ``(id, kind, item, reason)``; of one ``kind`` or
        all."""
        sql = "SELECT id, kind, body, reason FROM items WHERE state = 'failed'"
        params: tuple[str, ...] = ()
        if kind is not None:
            sql, params = f"{sql} AND kind = ?", (kind,)
        with self._reading("reading failed items") as db:
            rows = db.execute(f"{sql} ORDER BY id", params).fetchall()
            return [
                (row_id, row_kind, self._decode(row_id, body), reason or "")
                for row_id, row_kind, body, reason in rows
            ]

    def counts(self) -> dict[str, int]:
        """How many items are ``pending``, ``in_flight`` and ``failed``, over all kinds."""
        found = {"pending": 0, "in_flight": 0, "failed": 0}
        with self._reading("counting items") as db:
            for state, count in db.execute("SELECT state, COUNT(*) FROM items GROUP BY state"):
                found[state] = count
        return found

    def pending_kinds(self) -> list[str]:
        """The kinds that have pending items, the one with the oldest item first: after a
        restart, what there is to drain."""
        with self._reading("listing kinds") as db:
            rows = db.execute(
                "SELECT kind FROM items WHERE state = 'pending' GROUP BY kind ORDER BY MIN(id)"
            ).fetchall()
        return [kind for (kind,) in rows]

    def summary(self) -> list[tuple[str, str, int, str, str]]:
        """What the spool holds, as ``(kind, state, items, oldest, newest)`` rows, the
        times being when the items were added (UTC, ISO 8601)."""
        with self._reading("summing up items") as db:
            rows = db.execute(
                "SELECT kind, state, COUNT(*), MIN(created), MAX(created) FROM items "
                "GROUP BY kind, state ORDER BY kind, state"
            ).fetchall()
        return [(kind, state, count, oldest, newest) for kind, state, count, oldest, newest in rows]

    def dump(self) -> Iterator[tuple[int, str, str, dict[str, Any], Optional[str], str]]:
        """Every item, oldest first, as ``(id, kind, state, item, reason, created)``: read
        in pages, so a spool of any size is exported in bounded memory."""
        after = 0
        while True:
            with self._reading("reading items") as db:
                rows = db.execute(
                    "SELECT id, kind, state, body, reason, created FROM items WHERE id > ? "
                    "ORDER BY id LIMIT ?",
                    (after, _CHUNK),
                ).fetchall()
                page = [
                    (row_id, kind, state, self._decode(row_id, body), reason, created)
                    for row_id, kind, state, body, reason, created in rows
                ]
            if not page:
                return
            yield from page
            after = page[-1][0]

    def discard(self, kinds: Iterable[str]) -> int:
        """Delete every item of ``kinds``, in whatever state, in one transaction; returns
        how many. For items nobody will ever send (their account's key is gone)."""
        wanted = sorted(set(kinds))
        for kind in wanted:
            _check_kind(kind)
        if not wanted:
            return 0
        with self._transaction("discarding items") as db:
            return int(
                db.execute(f"DELETE FROM items WHERE kind IN ({_marks(wanted)})", wanted).rowcount
            )

    def pending_by_kind(self) -> dict[str, tuple[int, int]]:
        """For each kind with pending items: how many, and their total size in bytes (of
        their JSON): what a restarted batcher starts its counters from."""
        with self._reading("counting pending items") as db:
            rows = db.execute(
                "SELECT kind, COUNT(*), SUM(LENGTH(CAST(body AS BLOB))) FROM items "
                "WHERE state = 'pending' GROUP BY kind"
            ).fetchall()
        return {kind: (count, size or 0) for kind, count, size in rows}

    def close(self) -> None:
        """Close the database, then give up ownership. Safe to call twice."""
        with self._lock:
            connection, self._connection = self._connection, None
            try:
                if connection is not None:
                    with self._mapped("closing"):
                        connection.close()
            finally:
                # Only after the close (which checkpoints the log into the file), so that
                # the next owner never starts while this one is still writing.
                self._release_owner_lock()

    # -- inside ----------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self.create:
            _create_private(self.path)
            database = str(self.path)
        else:
            # mode=rw: SQLite opens the file, and never creates it.
            database = f"file:{quote(str(self.path.absolute()))}?mode=rw"
        with self._mapped("opening"):
            # isolation_level=None: transactions are begun and committed here, explicitly,
            # so that each method is exactly one.
            connection = sqlite3.connect(
                database,
                timeout=self.timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=not self.create,
            )
        try:
            with self._mapped("opening"):
                self._prepare(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, db: sqlite3.Connection) -> None:
        # Everything is read and checked before anything is written, so a file that is
        # refused is left exactly as it was.
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise self._refuse(f"is corrupt (quick_check: {'; '.join(problems[:3])})")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        objects = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        new = application_id == 0 and objects == 0
        if new and not self.create:
            raise self._refuse("is not a spool (an empty database)")
        if not new and application_id != APPLICATION_ID:
            raise self._refuse("is a SQLite database but not a spool")
        if not new and version != SCHEMA_VERSION:
            newer = "a newer" if version > SCHEMA_VERSION else "an unknown"
            raise self._refuse(
                f"has {newer} layout (version {version}; this release reads version "
                f"{SCHEMA_VERSION}): drain it with the release that wrote it, or upgrade"
            )
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise SpoolError(
                f"spool {self.path}: SQLite could not use WAL mode here (journal mode "
                f"{mode!r}); put the spool in a file on a local file system",
                self.path,
            )
        # In WAL mode a commit has reached the log (in the OS cache) before it returns, which
        # already survives kill -9 of this process; FULL also fsyncs the log at each commit,
        # so an item acknowledged to the caller survives an OS crash or power cut as well.
        # The price is one fsync per add(); add_many() pays it once for many items.
        db.execute("PRAGMA synchronous=FULL")
        # IMMEDIATE: take the write lock now, so a database locked by another program fails
        # here, at open, after `timeout`, rather than at the first add().
        db.execute("BEGIN IMMEDIATE")
        try:
            if new:
                db.execute(_CREATE_TABLE)
                db.execute(_CREATE_INDEX)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            # Items still in flight were taken by an owner that ended before settling them
            # (a crash, mostly): whether Klaviyo got them is unknown, so they go out again.
            db.execute("UPDATE items SET state = 'pending' WHERE state = 'in_flight'")
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise

    def _settle(
        self,
        ids: Iterable[int],
        state: str,
        sql: str,
        params: tuple[str, ...],
        action: str,
    ) -> int:
        """Apply ``sql`` to ``ids``, which must all be in ``state``; else change nothing."""
        wanted = sorted({operator.index(row_id) for row_id in ids})
        if not wanted:
            return 0
        with self._transaction(action) as db:
            found: set[int] = set()
            for chunk in _chunks(wanted):
                found.update(
                    row_id
                    for (row_id,) in db.execute(
                        f"SELECT id FROM items WHERE state = ? AND id IN ({_marks(chunk)})",
                        (state, *chunk),
                    )
                )
            missing = [row_id for row_id in wanted if row_id not in found]
            if missing:
                # A batcher that settles an item twice, or one it never took, has lost
                # track of it: say so instead of guessing.
                shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
                raise SpoolError(
                    f"spool {self.path}: {action} refused: {len(missing)} of the ids are not "
                    f"{state.replace('_', ' ')} ({shown}); nothing was changed",
                    self.path,
                )
            for chunk in _chunks(wanted):
                db.execute(f"{sql} WHERE id IN ({_marks(chunk)})", (*params, *chunk))
        return len(wanted)

    def _decode(self, row_id: int, body: str) -> dict[str, Any]:
        try:
            item = json.loads(body)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            raise self._refuse(f"is damaged: item {row_id} is not a JSON object")
        return item

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock; rolled back on any error."""
        with self._reading(action) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise

    @contextlib.contextmanager
    def _reading(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._connection is None:
                raise SpoolError(f"spool {self.path}: {action} failed: it is closed", self.path)
            with self._mapped(action):
                yield self._connection

    @contextlib.contextmanager
    def _mapped(self, action: str) -> Iterator[None]:
        """SQLite's errors as :class:`SpoolError`, saying what to do (httpx's
        ``map_httpcore_exceptions`` shape)."""
        try:
            yield
        except sqlite3.Error as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                message = (
                    f"spool {self.path}: {action} failed: the database stayed locked for more "
                    f"than {self.timeout:g}s ({text}). Another program has it open (a sqlite3 "
                    "shell, a backup tool?): close that, or pass a longer timeout"
                )
            elif any(word in text for word in ("malformed", "not a database", "corrupt")):
                raise self._refuse(f"is corrupt ({text})") from exc
            else:
                message = (
                    f"spool {self.path}: {action} failed: {text}. Check the disk (space, "
                    "permissions); items already in the spool are kept"
                )
            raise SpoolError(message, self.path) from exc

    def _refuse(self, problem: str) -> SpoolError:
        return SpoolError(f"spool {self.path} {problem}. {_MOVE_ASIDE}", self.path)

    def _release_owner_lock(self) -> None:
        fd, self._owner_fd = self._owner_fd, None
        if fd is not None:
            # Closing the descriptor drops the flock.
            os.close(fd)


_INSERT = "INSERT INTO items (kind, state, body) VALUES (?, 'pending', ?)"


def _acquire_owner_lock(path: Path) -> Optional[int]:
    """The exclusive lock on ``<path>.lock``, as an open descriptor (``None`` on Windows)."""
    if sys.platform == "win32":
        return None
    lock_path = Path(f"{path}.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise SpoolError(
            f"spool {path}: cannot create its lock file {lock_path} ({exc.strerror}); check "
            "that the directory exists and is writable",
            path,
        ) from exc
    try:
        # flock, not fcntl's record locks: those belong to the process, so a second Spool in
        # the same process would get the lock again, and closing any descriptor of the file
        # would drop it. A flock belongs to this one open file.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        owner = _owner_pid(lock_path)
        if owner == os.getpid():
            who = f"another Spool in this process (pid {owner}) has it open: close that first"
        else:
            pid = f" (pid {owner})" if owner is not None else ""
            who = (
                f"another process{pid} owns it. One process at a time may use a spool: "
                "stop the other process, or give each process its own spool path"
            )
        raise SpoolError(f"spool {path} is in use: {who} (lock {lock_path})", path) from exc
    except OSError as exc:
        os.close(fd)
        raise SpoolError(
            f"spool {path}: cannot lock {lock_path} ({exc.strerror}); put the spool on a "
            "local file system",
            path,
        ) from exc
    # The owner's pid, only for the message a second opener gets.
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _owner_pid(lock_path: Path) -> Optional[int]:
    try:
        return int(lock_path.read_text().strip())
    except (OSError, ValueError):
        return None


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite opens it (an empty one is new)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SpoolError(f"spool {path} cannot be read ({exc.strerror})", path) from exc
    if head and head != _SQLITE_HEADER:
        raise SpoolError(f"spool {path} is not a SQLite database. {_MOVE_ASIDE}", path)


def _create_private(path: Path) -> None:
    """Create the file, owner-only, if absent: items hold e-mail addresses and phone
    numbers. SQLite gives its -wal and -shm files the same permissions."""
    with contextlib.suppress(OSError):  # SQLite reports the real problem on connect
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        # A failed rollback leaves nothing committed either; the original error matters.
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _row_id(cursor: sqlite3.Cursor) -> int:
    row_id = cursor.lastrowid
    assert row_id is not None  # an INSERT always sets it
    return row_id


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _marks(chunk: Sequence[object]) -> str:
    return ", ".join("?" * len(chunk))


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"kind must be a non-empty string, not {kind!r}")


def _encode(kind: str, item: Mapping[str, Any], where: str) -> str:
    """``item`` as compact JSON text; :class:`SpoolError` naming the part JSON can't hold."""
    if not isinstance(item, Mapping):
        problem = f"{where} is a {type(item).__name__}, not a mapping (a JSON object)"
    else:
        try:
            return json.dumps(
                _plain(item, where, set()),
                ensure_ascii=False,
                separators=(",", ":"),
                allow_nan=False,
            )
        except _NotJSON as exc:
            problem = str(exc)
    raise SpoolError(f"cannot spool an item of kind {kind!r}: {problem}; nothing was stored")


class _NotJSON(Exception):
    pass


def _plain(value: Any, where: str, open_: set[int]) -> Any:
    """``value`` as plain JSON data (any Mapping as a dict, a tuple as a list), checked all
    the way down: ``json.dumps`` alone would quietly turn ``{1: x}`` into ``{"1": x}``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise _NotJSON(f"{where} is {value!r}, which JSON cannot hold")
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in open_:
            raise _NotJSON(f"{where} contains itself")
        open_.add(id(value))
        try:
            if isinstance(value, Mapping):
                plain: dict[str, Any] = {}
                for key, inner in value.items():
                    if not isinstance(key, str):
                        raise _NotJSON(
                            f"{where} has the key {key!r} ({type(key).__name__}); JSON keys "
                            "are strings"
                        )
                    plain[key] = _plain(inner, f"{where}[{key!r}]", open_)
                return plain
            return [_plain(inner, f"{where}[{n}]", open_) for n, inner in enumerate(value)]
        finally:
            open_.discard(id(value))
    raise _NotJSON(
        f"{where} is a {type(value).__name__} ({value!r:.60}), which JSON cannot hold; "
        "convert it first (a datetime to an ISO 8601 string, a set to a list)"
    )
