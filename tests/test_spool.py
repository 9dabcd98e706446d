"""The on-disk spool: item life cycle, ordering, threads, one owner, refusing bad files, and
losing nothing when its process is killed with SIGKILL (real child processes)."""

from __future__ import annotations

import collections
import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat._bulk.spool import APPLICATION_ID, SCHEMA_VERSION, Spool, SpoolError
from klaviyo_legacy_compat._core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="flock and SIGKILL are POSIX")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "spool.db"


@pytest.fixture
def spool(path: Path) -> Iterator[Spool]:
    with Spool(path) as opened:
        yield opened


def items(taken: list[tuple[int, dict[str, Any]]]) -> list[Any]:
    return [item["n"] for _, item in taken]


def child(script: str, *args: str) -> subprocess.Popen[str]:
    """A Python child running ``script`` with this checkout importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=env
    )


# -- life cycle ----------------------------------------------------------------------------


def test_add_take_done(spool: Spool) -> None:
    ids = [spool.add("event", {"n": n}) for n in range(3)]
    assert ids == sorted(ids)
    assert spool.counts() == {"pending": 3, "in_flight": 0, "failed": 0}
    taken = spool.take("event", 2)
    assert [row_id for row_id, _ in taken] == ids[:2]
    assert items(taken) == [0, 1]
    assert spool.counts() == {"pending": 1, "in_flight": 2, "failed": 0}
    spool.done(ids[:2])
    assert spool.counts() == {"pending": 1, "in_flight": 0, "failed": 0}
    assert items(spool.take("event", 10)) == [2]


def test_take_is_oldest_first_per_kind_and_obeys_the_limit(spool: Spool) -> None:
    for n in range(5):
        spool.add("event", {"n": n})
        spool.add("subscribe:XyZ", {"n": 100 + n})
    assert spool.take("event", 0) == []
    assert items(spool.take("event", 2)) == [0, 1]
    assert items(spool.take("event", 2)) == [2, 3]
    assert items(spool.take("event", 99)) == [4]
    assert spool.take("event", 5) == []
    assert items(spool.take("subscribe:XyZ", 99)) == [100, 101, 102, 103, 104]
    assert spool.take("unknown", 5) == []
    with pytest.raises(ValueError, match="limit"):
        spool.take("event", -1)


def test_release_puts_items_back_in_their_place(spool: Spool) -> None:
    spool.add_many("event", [{"n": n} for n in range(5)])
    taken = spool.take("event", 3)
    spool.release([taken[1][0]])
    assert items(spool.take("event", 2)) == [1, 3]
    spool.release(row_id for row_id, _ in taken)
    assert spool.counts() == {"pending": 4, "in_flight": 1, "failed": 0}
    assert items(spool.take("event", 10)) == [0, 1, 2, 4]


def test_fail_keeps_the_item_and_the_reason_until_retried(spool: Spool) -> None:
    ids = spool.add_many("event", [{"n": n} for n in range(4)])
    profile = spool.add("profile", {"n": 9})
    spool.take("event", 3)
    spool.take("profile", 1)
    spool.fail([ids[0], ids[2]], "400 invalid: email")
    spool.fail([profile], "409 duplicate")
    assert spool.counts() == {"pending": 1, "in_flight": 1, "failed": 3}
    assert spool.failed("event") == [
        (ids[0], "event", {"n": 0}, "400 invalid: email"),
        (ids[2], "event", {"n": 2}, "400 invalid: email"),
    ]
    assert spool.failed("profile") == [(profile, "profile", {"n": 9}, "409 duplicate")]
    assert [row[0] for row in spool.failed()] == [ids[0], ids[2], profile]

    assert spool.retry_failed([ids[2]]) == 1
    assert [row[0] for row in spool.failed()] == [ids[0], profile]
    assert spool.retry_failed() == 2
    assert spool.retry_failed() == 0
    assert spool.failed() == []
    spool.release([ids[1]])
    # Back in their original places, whatever happened to them meanwhile.
    assert items(spool.take("event", 10)) == [0, 1, 2, 3]
    spool.fail([ids[0]], "again")
    assert spool.failed() == [(ids[0], "event", {"n": 0}, "again")]


def test_settling_ids_not_in_flight_changes_nothing(spool: Spool) -> None:
    first, second = spool.add_many("event", [{"n": 0}, {"n": 1}])
    spool.take("event", 1)
    before = spool.counts()
    with pytest.raises(SpoolError, match=rf"not in flight \({second}\); nothing was changed"):
        spool.done([first, second])
    with pytest.raises(SpoolError, match="not in flight"):
        spool.release([second])
    with pytest.raises(SpoolError, match="not in flight"):
        spool.fail([999], "no such item")
    with pytest.raises(SpoolError, match="not failed"):
        spool.retry_failed([first])
    assert spool.counts() == before
    spool.done([first])
    with pytest.raises(SpoolError, match="not in flight"):
        spool.done([first])  # twice
    spool.done([])


def test_pending_kinds_lists_what_to_drain_oldest_first(spool: Spool) -> None:
    assert spool.pending_kinds() == []
    spool.add("subscribe:B", {"n": 0})
    spool.add("event", {"n": 1})
    spool.add("subscribe:B", {"n": 2})
    spool.add("subscribe:A", {"n": 3})
    assert spool.pending_kinds() == ["subscribe:B", "event", "subscribe:A"]
    spool.take("subscribe:B", 5)
    assert spool.pending_kinds() == ["event", "subscribe:A"]


def test_bad_kind_is_a_value_error(spool: Spool) -> None:
    with pytest.raises(ValueError, match="kind"):
        spool.add("", {"n": 0})
    assert spool.counts()["pending"] == 0


# -- items ---------------------------------------------------------------------------------


def test_items_round_trip_through_json(spool: Spool) -> None:
    item = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"名前": "Zoë 😀", "nested": [1, 2.5, None, True, {"a": []}]},
                "value": -0.1,
                "big": 2**60,
                'quote"and\\slash': "line\nbreak\u2028",
            },
        }
    }
    row_id = spool.add("event", item)
    assert spool.take("event", 1) == [(row_id, item)]


def test_any_mapping_and_tuples_are_stored_as_json(spool: Spool) -> None:
    spool.add(
        "event", types.MappingProxyType({"tags": ("a", "b"), "m": collections.OrderedDict(x=1)})
    )
    assert spool.take("event", 1)[0][1] == {"tags": ["a", "b"], "m": {"x": 1}}


def cyclic() -> dict[str, Any]:
    item: dict[str, Any] = {"a": {}}
    item["a"]["back"] = item
    return item


@pytest.mark.parametrize(
    ("item", "named"),
    [
        pytest.param(
            {"data": {"when": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)}},
            r"item\['data'\]\['when'\] is a datetime",
            id="datetime",
        ),
        pytest.param({"tags": {"a"}}, r"item\['tags'\] is a set", id="set"),
        pytest.param({"value": float("nan")}, r"item\['value'\] is nan", id="nan"),
        pytest.param({"list": [1, float("inf")]}, r"item\['list'\]\[1\] is inf", id="infinity"),
        pytest.param({"by_id": {1: "x"}}, r"item\['by_id'\] has the key 1 \(int\)", id="int_key"),
        pytest.param(cyclic(), r"item\['a'\]\['back'\] contains itself", id="cycle"),
        pytest.param(["not", "a", "mapping"], "item is a list, not a mapping", id="not_mapping"),
    ],
)
def test_an_item_json_cannot_hold_is_refused_naming_the_part(
    spool: Spool, item: Any, named: str
) -> None:
    with pytest.raises(SpoolError, match=named) as caught:
        spool.add("event", item)
    assert "nothing was stored" in str(caught.value)
    assert isinstance(caught.value, ConfigurationError)
    assert spool.counts() == {"pending": 0, "in_flight": 0, "failed": 0}


def test_add_many_is_one_transaction(spool: Spool) -> None:
    with pytest.raises(SpoolError, match=r"items\[2\]\['when'\] is a date"):
        spool.add_many("event", [{"n": 0}, {"n": 1}, {"when": datetime.date(2024, 5, 1)}])
    assert spool.counts()["pending"] == 0
    assert spool.add_many("event", []) == []
    ids = spool.add_many("event", ({"n": n} for n in range(3)))
    assert [row_id for row_id, _ in spool.take("event", 5)] == ids


# -- persistence ---------------------------------------------------------------------------


def test_items_outlive_the_spool_and_in_flight_ones_come_back(path: Path) -> None:
    with Spool(path) as spool:
        ids = spool.add_many("event", [{"n": n} for n in range(5)])
        spool.take("event", 2)  # never settled
        spool.fail([spool.take("event", 1)[0][0]], "rejected")
        spool.done([row_id for row_id, _ in spool.take("event", 1)])
    assert repr(spool).endswith("(closed)>")
    with Spool(path) as spool:
        assert spool.counts() == {"pending": 3, "in_flight": 0, "failed": 1}
        assert spool.take("event", 10) == [
            (ids[0], {"n": 0}),
            (ids[1], {"n": 1}),
            (ids[4], {"n": 4}),
        ]
        assert spool.failed() == [(ids[2], "event", {"n": 2}, "rejected")]
        # Ids are never reused, even for items already deleted.
        assert spool.add("event", {"n": 5}) > ids[-1]


def test_the_file_is_a_private_wal_database(path: Path, spool: Spool) -> None:
    assert spool.path == path
    assert spool._connection is not None
    assert spool._connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert spool._connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert spool._connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert spool._connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_closed_spool_says_so(path: Path) -> None:
    spool = Spool(path)
    spool.close()
    spool.close()
    with pytest.raises(SpoolError, match="closed"):
        spool.add("event", {"n": 0})
    with pytest.raises(SpoolError, match="closed"):
        spool.counts()


# -- threads -------------------------------------------------------------------------------


def test_threads_add_while_another_takes(spool: Spool) -> None:
    writers, per_writer = 4, 40
    delivered: list[int] = []
    adding = threading.Event()
    adding.set()

    def write(writer: int) -> None:
        for n in range(per_writer):
            spool.add("event", {"n": writer * 1000 + n})

    def drain() -> None:
        while True:
            still_adding = adding.is_set()
            taken = spool.take("event", 7)
            delivered.extend(items(taken))
            spool.done(row_id for row_id, _ in taken)
            if not taken and not still_adding:
                return

    drainer = threading.Thread(target=drain)
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    drainer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    adding.clear()
    drainer.join()
    assert sorted(delivered) == sorted(
        w * 1000 + n for w in range(writers) for n in range(per_writer)
    )
    for writer in range(writers):  # each writer's items in the order it added them
        mine = [n for n in delivered if n // 1000 == writer]
        assert mine == sorted(mine)
    assert spool.counts() == {"pending": 0, "in_flight": 0, "failed": 0}


# -- refusing bad files --------------------------------------------------------------------


def corrupt(path: Path) -> None:
    """A real spool whose data pages are overwritten; the header page is intact."""
    with Spool(path) as spool:
        spool.add_many("event", [{"n": n, "pad": "x" * 500} for n in range(200)])
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 6 * page
    data[2 * page : 5 * page] = b"\xa5" * (3 * page)
    path.write_bytes(bytes(data))


def not_a_database(path: Path) -> None:
    path.write_text("email,name\na@example.com,Zoë\n" * 10)


def foreign_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()


def newer_spool(path: Path) -> None:
    Spool(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        pytest.param(corrupt, "is corrupt", id="corrupt"),
        pytest.param(not_a_database, "is not a SQLite database", id="not_a_database"),
        pytest.param(foreign_database, "is a SQLite database but not a spool", id="foreign"),
        pytest.param(newer_spool, "has a newer layout", id="newer_schema"),
    ],
)
def test_a_bad_file_is_refused_and_left_untouched(make: Any, problem: str, path: Path) -> None:
    make(path)
    before = path.read_bytes()
    with pytest.raises(SpoolError, match=problem) as caught:
        Spool(path)
    message = str(caught.value)
    assert str(path) in message
    assert "move the file aside" in message
    assert "never deletes or overwrites" in message
    assert caught.value.path == path
    assert path.read_bytes() == before
    # Refusing released the owner lock: the file can be moved aside and a new spool made.
    path.rename(path.with_suffix(".bad"))
    with Spool(path) as spool:
        assert spool.counts()["pending"] == 0


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SpoolError, match="directory exists"):
        Spool(tmp_path / "missing" / "spool.db")


def test_a_database_locked_by_another_program_times_out(path: Path) -> None:
    with Spool(path) as spool:
        first = spool.add("event", {"n": 0})
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(SpoolError, match=r"stayed locked for more than 0.2s"):
            Spool(path, timeout=0.2)
        other.execute("COMMIT")
        with Spool(path, timeout=0.2) as spool:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(SpoolError, match="adding an item failed: the database stayed"):
                spool.add("event", {"n": 1})
            other.execute("COMMIT")
            assert spool.take("event", 5) == [(first, {"n": 0})]
    finally:
        other.close()


# -- one owner -----------------------------------------------------------------------------


@posix_only
def test_a_second_spool_in_the_same_process_is_refused(path: Path) -> None:
    with Spool(path):
        with pytest.raises(SpoolError, match=r"in use: another Spool in this process") as caught:
            Spool(path)
        assert str(path) in str(caught.value)
    Spool(path).close()


HOLD = """
import sys
from klaviyo_legacy_compat._bulk.spool import Spool
spool = Spool(sys.argv[1])
spool.add("event", {"n": 0})
print("ready", flush=True)
import threading
threading.Event().wait()
"""


@posix_only
def test_another_process_owns_the_spool_until_it_is_killed(path: Path) -> None:
    with child(HOLD, str(path)) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        try:
            with pytest.raises(SpoolError, match=rf"another process \(pid {holder.pid}\) owns"):
                Spool(path)
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
    # The kernel released the dead owner's lock: no stale lock to clean up.
    with Spool(path) as spool:
        assert items(spool.take("event", 5)) == [0]


# -- crash safety --------------------------------------------------------------------------

CRASH = """
import sys
from klaviyo_legacy_compat._bulk.spool import Spool
spool = Spool(sys.argv[1])
for n in range(10**9):
    row_id = spool.add("event", {"n": n, "text": "Zoë 😀"})
    print("added", row_id, n, flush=True)
    if n % 20 == 19:
        taken = spool.take("event", 8)
        print("took", *[row_id for row_id, _ in taken], flush=True)
"""


@posix_only
@pytest.mark.parametrize("lines", [5, 60, 400])
def test_a_killed_owner_loses_nothing(path: Path, lines: int) -> None:
    added: dict[int, int] = {}
    taken: set[int] = set()
    with child(CRASH, str(path)) as owner:
        assert owner.stdout is not None
        for _ in range(lines):
            word, *numbers = owner.stdout.readline().split()
            if word == "added":
                added[int(numbers[0])] = int(numbers[1])
            else:
                taken.update(map(int, numbers))
        owner.send_signal(signal.SIGKILL)  # mid-run: it keeps adding until the signal lands
        assert owner.wait() == -signal.SIGKILL
        for line in owner.stdout:  # what it printed before dying
            word, *numbers = line.split()
            if word == "added":
                added[int(numbers[0])] = int(numbers[1])
    with Spool(path) as spool:
        counts = spool.counts()
        assert counts["in_flight"] == counts["failed"] == 0
        stored = spool.take("event", counts["pending"])
    ids = [row_id for row_id, _ in stored]
    order = [item["n"] for _, item in stored]
    # Every printed item is there exactly once; the kill may have landed between an add's
    # commit and its print, so at most one more.
    assert set(added.items()) <= set(zip(ids, order))
    assert len(stored) - len(added) in (0, 1)
    assert order == list(range(len(stored)))  # in order, no gap, no duplicate
    assert ids == sorted(set(ids))
    assert taken <= set(ids)  # in flight when killed: pending again
    assert all(item["text"] == "Zoë 😀" for _, item in stored)
