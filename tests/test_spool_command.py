"""``klaviyo-legacy-compat spool PATH``: list, export, discard and drain what a bulk-mode
spool holds, against real spool files written by bulk mode itself."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, cli
from klaviyo_legacy_compat._bulk.spool import Spool
from klaviyo_legacy_compat._core.credentials import account_label
from klaviyo_legacy_compat.testing import LocalKlaviyo

ROOT = Path(__file__).resolve().parent.parent
OTHER = "pk_other_0123456789abcdef0123456789"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


@pytest.fixture
def path(tmp_path: Path, server: LocalKlaviyo) -> Path:
    """A spool bulk mode left behind: 5 events and a profile of the server's account, and 3
    events and a profile of another, all undelivered (Klaviyo could not be reached)."""
    spool = tmp_path / "spool.db"
    dead = LocalKlaviyo(enforce_rate_limits=False).start()
    dead.stop()
    for key, events in ((server.private_key, 5), (OTHER, 3)):
        client = CompatClient(
            private_key=key,
            base_url=dead.base_url,
            batching=True,
            spool_path=str(spool),
            batch_max_age=3600,
        )
        for i in range(events):
            client.track("Viewed", {"$email": f"u{i}@example.com"}, {"$event_id": f"e{i}"})
        client.identify({"$email": "a@example.com", "plan": "gold"})
        client.batcher().close(flush=False)
        client.close()
    return spool


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["spool", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def held(path: Path) -> list[tuple[str, str, int]]:
    """(kind, state, items) rows, read straight from the file."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT kind, state, COUNT(*) FROM items GROUP BY kind, state ORDER BY kind, state"
        ).fetchall()
    db.close()
    return [(kind, state, count) for kind, state, count in rows]


def files(directory: Path) -> dict[str, bytes]:
    return {entry.name: entry.read_bytes() for entry in sorted(directory.iterdir())}


# --- listing ----------------------------------------------------------------------------------


def test_the_listing_shows_each_account_and_kind(
    capsys: pytest.CaptureFixture[str],
    path: Path,
    server: LocalKlaviyo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", server.private_key)
    status, out, err = run(capsys, str(path))
    assert (status, err) == (0, "")
    mine, other = account_label(server.private_key), account_label(OTHER)
    assert "holds 10 items of 2 accounts" in out
    lines = [line for line in out.splitlines() if line.startswith((mine, other))]
    rows = [line.split() for line in lines]
    assert [row[:4] for row in rows] == [
        [mine, "events", "5", "0"],
        [mine, "profiles", "1", "0"],
        [other, "events", "3", "0"],
        [other, "profiles", "1", "0"],
    ]
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ (s|min|h|d) ago\)"
    assert all(re.search(f"{stamp}  {stamp}$", line) for line in lines)  # oldest, newest
    assert f"KLAVIYO_PRIVATE_API_KEY is account {mine}: --drain sends its items" in out
    assert server.private_key not in out and OTHER not in out


def test_an_empty_spool_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    Spool(tmp_path / "spool.db").close()
    assert run(capsys, str(tmp_path / "spool.db")) == (
        0,
        f"spool {tmp_path / 'spool.db'} holds no items\n",
        "",
    )


# --- export -----------------------------------------------------------------------------------


def test_export_prints_every_item_with_its_account_kind_and_state(
    capsys: pytest.CaptureFixture[str], path: Path, server: LocalKlaviyo
) -> None:
    mine = account_label(server.private_key)
    with Spool(path) as spool:  # one event was rejected by Klaviyo earlier
        ((first, _),) = spool.take(f"event@{mine}", 1)
        spool.fail([first], "invalid: 'Viewed' is not allowed")
    status, out, err = run(capsys, str(path), "--export")
    assert status == 0 and err.endswith("exported 10 items from " + str(path) + "\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 10
    assert {line["account"] for line in lines} == {mine, account_label(OTHER)}
    assert sorted({line["kind"] for line in lines}) == ["event", "profile"]
    (failed,) = [line for line in lines if line["state"] == "failed"]
    assert failed["reason"] == "invalid: 'Viewed' is not allowed"
    assert failed["payload"]["event"]["attributes"]["unique_id"] == "e0"
    assert all(line["created"].endswith("Z") for line in lines)
    # No key, anywhere: not printed, not in the file.
    for key in (server.private_key, OTHER):
        assert key not in out
        assert all(key.encode() not in data for data in files(path.parent).values())


# --- discard ----------------------------------------------------------------------------------


def test_discard_says_how_many_then_deletes_that_account_only(
    capsys: pytest.CaptureFixture[str], path: Path, server: LocalKlaviyo
) -> None:
    other, mine = account_label(OTHER), account_label(server.private_key)
    status, out, err = run(capsys, str(path), "--discard-account", other)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"discarding 4 items of account {other} from {path} (3 events, 1 profile; none of "
        "them rejected by Klaviyo earlier)",
        "discarded 4 items",
    ]
    assert held(path) == [(f"event@{mine}", "pending", 5), (f"profile@{mine}", "pending", 1)]


def test_an_unknown_label_is_refused_and_nothing_is_discarded(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    before = held(path)
    status, out, err = run(capsys, str(path), "--discard-account", "0123456789abcdef")
    assert (status, out) == (2, "")
    assert "holds no items of account 0123456789abcdef" in err
    assert account_label(OTHER) in err  # the labels it does hold
    assert held(path) == before


# --- drain ------------------------------------------------------------------------------------


def test_drain_sends_the_accounts_items_through_bulk_mode(
    capsys: pytest.CaptureFixture[str],
    path: Path,
    server: LocalKlaviyo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", server.private_key)
    monkeypatch.setenv("KLAVIYO_API_BASE_URL", server.base_url)
    status, out, err = run(capsys, str(path), "--drain")
    assert status == 0, err
    assert f"sending 6 items of account {account_label(server.private_key)}" in out
    assert "delivered 6 items in 2 bulk requests" in out
    assert sorted(e.unique_id for e in server.store.events) == [f"e{i}" for i in range(5)]
    assert server.operations() == ["bulk_create_events", "bulk_import_profiles"]
    # The other account's items are where they were.
    other = account_label(OTHER)
    assert held(path) == [(f"event@{other}", "pending", 3), (f"profile@{other}", "pending", 1)]


def test_drain_reports_what_klaviyo_rejects_and_keeps_it(
    capsys: pytest.CaptureFixture[str],
    path: Path,
    server: LocalKlaviyo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = account_label(server.private_key)
    with Spool(path) as spool:  # an event Klaviyo refuses: its email is no email
        ((_, item),) = spool.take(f"event@{mine}", 1)
        spool.release([_])
        item["profile"]["attributes"]["email"] = "not an email"
        item["event"]["attributes"]["unique_id"] = "bad"
        spool.add(f"event@{mine}", item)
    monkeypatch.setenv("KLAVIYO_API_BASE_URL", server.base_url)
    status, out, _ = run(capsys, str(path), "--drain", "--private-key", server.private_key)
    assert status == 1
    assert "delivered 6 items" in out
    assert "rejected event: " in out and "stay in the spool, as failed" in out
    assert sorted(e.unique_id for e in server.store.events) == [f"e{i}" for i in range(5)]
    assert (f"event@{mine}", "failed", 1) in held(path)


def test_drain_refuses_a_key_whose_account_the_spool_does_not_hold(
    capsys: pytest.CaptureFixture[str], path: Path, server: LocalKlaviyo
) -> None:
    stranger = "pk_stranger_0123456789abcdef01234"
    before = held(path)
    status, out, err = run(capsys, str(path), "--drain", "--private-key", stranger)
    assert (status, out) == (2, "")
    assert f"the key given is account {account_label(stranger)}" in err
    assert account_label(OTHER) in err and stranger not in err
    assert held(path) == before and server.requests == []


def test_drain_needs_a_key(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    status, _, err = run(capsys, str(path), "--drain")
    assert status == 2 and "KLAVIYO_PRIVATE_API_KEY" in err


# --- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["spool.db", "missing/spool.db"])
def test_a_missing_spool_is_an_error_naming_it_and_nothing_is_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    for args in ([], ["--export"], ["--discard-account", "0123456789abcdef"], ["--drain"]):
        status, out, err = run(capsys, str(tmp_path / where), *args)
        assert (status, out) == (2, "")
        assert err == f"klaviyo-legacy-compat spool: no spool at {tmp_path / where}: no such file\n"
    assert list(tmp_path.iterdir()) == []


def test_a_directory_is_no_spool(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, str(tmp_path)) == (
        2,
        "",
        f"klaviyo-legacy-compat spool: no spool at {tmp_path}: not a file\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.write_bytes(b"not a database at all, just bytes\n"), "not a SQLite database"),
        (lambda p: p.write_bytes(b""), "is not a spool"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
            "not a spool",
        ),
    ],
    ids=["garbage", "empty", "foreign"],
)
def test_a_file_that_is_no_spool_is_refused_and_left_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Any, problem: str
) -> None:
    target = tmp_path / "spool.db"
    make(target)
    before = target.read_bytes()
    status, out, err = run(capsys, str(target))
    assert (status, out) == (2, "")
    assert problem in err
    assert target.read_bytes() == before


@posix_only
def test_a_spool_another_process_owns_is_refused(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from klaviyo_legacy_compat._bulk.spool import Spool;"
            " s = Spool(sys.argv[1]); print('owned', flush=True); sys.stdin.readline()",
            str(path),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None and owner.stdout.readline() == "owned\n"
    try:
        for args in ([], ["--discard-account", account_label(OTHER)]):
            status, out, err = run(capsys, str(path), *args)
            assert (status, out) == (2, "")
            assert "is in use" in err and f"pid {owner.pid}" in err
    finally:
        owner.communicate("done\n", timeout=30)
    assert sum(count for _, _, count in held(path)) == 10


def test_help_names_every_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["spool", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("PATH", "--export", "--discard-account LABEL", "--drain", "--private-key"):
        assert option in text
