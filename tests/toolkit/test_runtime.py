"""The runtime audit log (``audit_log``, ``_surfaces/audit_log``) and its report by call site
(``_toolkit/runtime``, ``klaviyo-legacy-compat audit --runtime LOG``).

The call sites are checked on a real legacy program, run in a process of its own the way a
program runs in production: the log must name the script's own file, line and function for
each call, whichever legacy surface made it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient
from klaviyo_legacy_compat._toolkit.runtime import render_json, render_text, summarise
from klaviyo_legacy_compat.cli import main
from klaviyo_legacy_compat.exceptions import ConfigurationError
from klaviyo_legacy_compat.testing import RecordingTransport
from tests.conftest import PRIVATE_KEY, PUBLIC_KEY

#: A program written for the retired SDKs and raw HTTP, with only its imports changed. Each
#: legacy call is marked ``# call: <name>`` so the test knows its line.
PROGRAM = f'''
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import legacy_http
from klaviyo_legacy_compat.sdk import Client

KEY = "{PRIVATE_KEY}"


def checkout(email):
    client = klaviyo.Klaviyo(public_token="{PUBLIC_KEY}", private_token=KEY)
    client.Public.track("Placed Order", email=email, properties={{"$value": 9}})  # call: 3.1.7


def from_the_sdk():
    Client(KEY).TrackIdentify.track_post(  # call: sdk
        data={{
            "token": "{PUBLIC_KEY}",
            "event": "Viewed",
            "customer_properties": {{"$email": "b@example.com"}},
        }}
    )


def over_http():
    session = requests.Session()
    legacy_http.mount(session)
    session.post(  # call: http
        "https://a.klaviyo.com/api/v2/list/XyZ123/subscribe?api_key=" + KEY,
        json={{"profiles": [{{"email": "c@example.com"}}]}},
    )


checkout("a@example.com")
from_the_sdk()
over_http()
klaviyo.track("Direct", {{"$email": "d@example.com"}})  # call: module
'''

#: Each marked call: the function around it, and what the log names it by.
EXPECTED = {
    "3.1.7": ("checkout", "Public.track", "TrackCall", ["create_event"]),
    "sdk": ("from_the_sdk", "TrackIdentify.track_post", "TrackCall", ["create_event"]),
    "http": (
        "over_http",
        "POST /api/v2/list/XyZ123/subscribe",
        "SubscribeCall",
        ["get_list", "bulk_subscribe_profiles", "get_profiles"],
    ),
    "module": ("<module>", "klaviyo_legacy_compat.track", "TrackCall", ["create_event"]),
}


def _lines(source: str) -> dict[str, int]:
    return {
        line.split("# call: ")[1].strip(): number
        for number, line in enumerate(source.splitlines(), start=1)
        if "# call: " in line
    }


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _run(script: Path, env: dict[str, str]) -> None:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("KLAVIYO_", "PRIVATE", "PUBLIC"))
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**environ, "KLAVIYO_LEGACY_COMPAT_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("given", ["environment", "option"])
def test_the_log_names_each_call_site_of_a_legacy_program(tmp_path: Path, given: str) -> None:
    log = tmp_path / "audit.jsonl"
    source = PROGRAM
    env = {"KLAVIYO_LEGACY_COMPAT_AUDIT_LOG": str(log)}
    if given == "option":
        env = {}
        # The same program, configured in its first line (so every line number moves by one).
        configure = f"klaviyo_legacy_compat.configure(audit_log={str(log)!r})"
        source = f"import klaviyo_legacy_compat; {configure}\n" + PROGRAM
    klaviyo_lines = _lines(source)
    script = tmp_path / "shop.py"
    script.write_text(source, encoding="utf-8")
    _run(script, env)

    records = _records(log)
    assert [
        (r["site"], r["legacy"], r["call"], r["operations"], r["outcome"]) for r in records
    ] == [
        (
            {"file": str(script), "line": klaviyo_lines[name], "function": function},
            legacy,
            call,
            operations,
            "dry-run",
        )
        for name, (function, legacy, call, operations) in EXPECTED.items()
    ]
    assert {r["pid"] for r in records} != {os.getpid()}
    text = log.read_text(encoding="utf-8")
    # No key, and nothing of the payloads: the log names, it does not carry.
    for secret in (PRIVATE_KEY, PUBLIC_KEY, "a@example.com", "Placed Order", "api_key"):
        assert secret not in text


def test_the_log_names_the_call_site_in_process(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True, audit_log=str(log))
    line = sys._getframe().f_lineno + 1
    client.track("Placed Order", {"$email": "a@example.com"})
    (record,) = _records(log)
    assert record["site"] == {
        "file": __file__,
        "line": line,
        "function": "test_the_log_names_the_call_site_in_process",
    }
    assert record["legacy"] == "CompatClient.track"
    assert record["call"] == "TrackCall" and record["pid"] == os.getpid()
    written = datetime.fromisoformat(record["time"])
    assert abs((datetime.now(timezone.utc) - written).total_seconds()) < 60
    assert record["ms"] >= 0


def test_outcomes_sent_held_and_refused(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    transport = RecordingTransport()
    client = CompatClient(private_key=PRIVATE_KEY, audit_log=str(log), transport=transport)
    client.track("Placed Order", {"$email": "a@example.com"})
    keyless = CompatClient(audit_log=str(log), transport=transport)
    with pytest.raises(ConfigurationError):
        keyless.identify({"$email": "a@example.com"})
    client.configure(batching=True)
    client.track("Placed Order", {"$email": "a@example.com"})
    client.close()
    assert [(r["outcome"], r["operations"]) for r in _records(log)] == [
        ("ok", ["create_event"]),
        ("error:ConfigurationError", []),
        ("held", ["create_event"]),
    ]


def test_no_log_no_line(tmp_path: Path) -> None:
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True)
    client.track("Placed Order", {"$email": "a@example.com"})
    assert client.settings().audit_log is None
    assert list(tmp_path.iterdir()) == []


def test_concurrent_threads_write_whole_lines(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True, audit_log=str(log))
    threads, calls = 8, 150
    start = threading.Barrier(threads)

    def worker(number: int) -> None:
        start.wait()
        for _ in range(calls):
            client.track(f"Thread {number}", {"$email": f"{number}@example.com"})

    running = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    records = _records(log)  # every line parses: none was cut or interleaved
    assert len(records) == threads * calls
    assert {r["site"]["function"] for r in records} == {"worker"}


def test_processes_sharing_a_log_write_whole_lines(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    program = (
        "import klaviyo_legacy_compat as k\n"
        f"k.configure(dry_run=True, private_key={PRIVATE_KEY!r})\n"
        "for n in range(300):\n"
        "    k.track('Placed Order', {'$email': f'{n}@example.com'})\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_")}
    environ["KLAVIYO_LEGACY_COMPAT_AUDIT_LOG"] = str(log)
    running = [subprocess.Popen([sys.executable, "-c", program], env=environ) for _ in range(3)]
    assert [process.wait(timeout=60) for process in running] == [0, 0, 0]
    records = _records(log)  # every line parses: none was cut or interleaved
    assert len(records) == 900
    assert len({r["pid"] for r in records}) == 3


def test_a_failing_write_never_breaks_the_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A directory cannot be opened for writing: every write fails.
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True, audit_log=str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat"):
        first = client.track("Placed Order", {"$email": "a@example.com"})
        second = client.track("Placed Order", {"$email": "a@example.com"})
    for plan in (first, second):
        assert [r.operation for r in plan.requests] == ["create_event"]  # type: ignore[union-attr]
    warnings = [r.getMessage() for r in caplog.records if "audit_log" in r.getMessage()]
    assert warnings == [
        f"audit_log: cannot write to {tmp_path} (IsADirectoryError); calls go on without "
        "their audit lines"
    ]


def _line(file: str, line: int, legacy: str, ops: list[str], outcome: str, time: str) -> str:
    site = {"file": file, "line": line, "function": "f"}
    record = {"time": time, "pid": 1, "site": site, "legacy": legacy, "call": "TrackCall"}
    return json.dumps({**record, "operations": ops, "outcome": outcome, "ms": 0.1})


#: The summariser, one row per rule: lines in, the sites (where, calls, legacy, operations,
#: outcomes, first, last) and the malformed line numbers out.
SUMMARIES: list[tuple[str, list[str], list[tuple[Any, ...]], list[int]]] = [
    ("empty", [], [], []),
    (
        "one site, counted and timed",
        [
            _line("a.py", 3, "Public.track", ["create_event"], "ok", "2026-01-02T00:00:00+00:00"),
            _line(
                "a.py",
                3,
                "Public.track",
                ["create_event"],
                "error:APIError",
                "2026-01-01T00:00:00+00:00",
            ),
        ],
        [
            (
                "a.py:3 (f)",
                2,
                {"Public.track": 2},
                {"create_event": 2},
                {"ok": 1, "error:APIError": 1},
                "2026-01-01T00:00:00+00:00",
                "2026-01-02T00:00:00+00:00",
            )
        ],
        [],
    ),
    (
        "busiest site first, then by file and line",
        [
            _line("b.py", 9, "POST /api/track", ["create_event"], "held", "t1"),
            _line("a.py", 5, "Lists.get_lists", ["get_lists"], "ok", "t1"),
            _line("b.py", 9, "POST /api/track", ["create_event"], "held", "t2"),
            _line("a.py", 2, "Lists.get_lists", ["get_lists", "get_lists"], "ok", "t1"),
        ],
        [
            ("b.py:9 (f)", 2, {"POST /api/track": 2}, {"create_event": 2}, {"held": 2}, "t1", "t2"),
            ("a.py:2 (f)", 1, {"Lists.get_lists": 1}, {"get_lists": 2}, {"ok": 1}, "t1", "t1"),
            ("a.py:5 (f)", 1, {"Lists.get_lists": 1}, {"get_lists": 1}, {"ok": 1}, "t1", "t1"),
        ],
        [],
    ),
    (
        "malformed lines counted and skipped, blank lines ignored",
        [
            "not json",
            "",
            '{"time": "t1"}',
            "[1, 2]",
            _line("a.py", 1, "Public.track", [], "dry-run", "t1"),
            '{"time": "t", "legacy": "x", "outcome": "ok", "operations": [], "site": {"file": 1}}',
        ],
        [("a.py:1 (f)", 1, {"Public.track": 1}, {}, {"dry-run": 1}, "t1", "t1")],
        [1, 3, 4, 6],
    ),
    (
        "a call with no call site (a thread of its own)",
        [
            json.dumps(
                {"time": "t1", "site": None, "legacy": "L", "operations": [], "outcome": "ok"}
            )
        ],
        [
            (
                "(no call site: the call ran on a thread of its own)",
                1,
                {"L": 1},
                {},
                {"ok": 1},
                "t1",
                "t1",
            )
        ],
        [],
    ),
]


@pytest.mark.parametrize(
    ("rule", "lines", "sites", "malformed"), SUMMARIES, ids=[r[0] for r in SUMMARIES]
)
def test_the_summary_by_call_site(
    rule: str, lines: list[str], sites: list[tuple[Any, ...]], malformed: list[int]
) -> None:
    report = summarise(lines)
    assert [
        (s.where, s.calls, s.legacy, s.operations, s.outcomes, s.first, s.last)
        for s in report.sites
    ] == sites
    assert list(report.malformed_lines) == malformed
    assert report.malformed == len(malformed)
    assert report.calls == sum(site[1] for site in sites)
    assert json.loads(render_json(report))["calls"] == report.calls
    assert render_text(report).startswith(f"{report.calls} legacy call(s) from {len(sites)} ")


def test_the_audit_runtime_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "audit.jsonl"
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True, audit_log=str(log))
    for _ in range(3):
        client.track("Placed Order", {"$email": "a@example.com"})
    with log.open("a", encoding="utf-8") as handle:
        handle.write("cut sho")
    assert main(["audit", "--runtime", str(log)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("3 legacy call(s) from 1 call site(s)\n")
    assert f"{__file__}:" in text and "CompatClient.track x3" in text
    assert "1 malformed line(s) skipped: line 4" in text
    assert main(["audit", "--runtime", str(log), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 3 and report["malformed"] == 1
    assert report["sites"][0]["operations"] == {"create_event": 3}
    assert main(["audit", "--runtime", str(tmp_path / "missing.jsonl")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
