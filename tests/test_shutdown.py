"""Nothing acknowledged is lost when a process in bulk mode is stopped (``_shutdown.py``).

Real child processes hold items in memory (no spool) against a local Klaviyo, are sent
SIGTERM or SIGINT, and must deliver what they hold within ``shutdown_timeout``, log at ERROR
with its payload whatever they could not deliver, and then end as the signal would have
made them end (the application's own handler run, or the default action).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat._bulk.spool import MemorySpool, Sealed, Spool
from klaviyo_legacy_compat._core.credentials import account_label
from klaviyo_legacy_compat.testing import LocalKlaviyo

ROOT = Path(__file__).resolve().parent.parent
KEY = "pk_test_0123456789abcdef0123456789abcdef"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: A process in bulk mode. ``options`` (JSON): ``held`` calls to make before saying
#: ``ready`` and sleeping, or ``forever`` (print each acknowledged call's number);
#: ``handler``: ``"app"`` installs the application's own SIGTERM handler first (exit 3),
#: ``"ignore"`` ignores SIGTERM; ``timeout``: ``shutdown_timeout``; ``retry_budget``;
#: ``spool``: ``spool_path``; ``then``: what to do after ``held`` calls instead of sleeping.
CHILD = """
import json, logging, signal, sys, threading, time
import klaviyo_legacy_compat as klaviyo

key, base_url, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
if options.get("handler") == "app":
    def mine(signum, frame):
        print("app handler", signum, flush=True)
        sys.exit(3)
    signal.signal(signal.SIGTERM, mine)
elif options.get("handler") == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
klaviyo.configure(private_key=key, base_url=base_url, batching=True, batch_max_age=3600,
                  shutdown_timeout=options.get("timeout", 5), max_concurrency=2,
                  retry_budget=options.get("retry_budget"), spool_path=options.get("spool"))

def track(i):
    assert klaviyo.track("Viewed", {"$email": f"u{i % 50}@example.com"},
                         {"$event_id": f"ev-{i}"}) == 1

if options.get("forever"):
    i = 0
    while True:
        track(i)
        print(i, flush=True)
        i += 1
for i in range(options.get("held", 0)):
    track(i)
then = options.get("then")
if then == "shutdown":
    report = klaviyo.shutdown(timeout=options.get("timeout"))
    print(json.dumps({"delivered": report.delivered, "pending": report.pending,
                      "requests": report.requests}), flush=True)
    track(10**6)  # after the shutdown: sent one by one
    print(json.dumps({"flushed": klaviyo.flush().delivered}), flush=True)
    late = klaviyo.CompatClient(private_key=key, base_url=base_url, batching=True,
                                retry_budget=options.get("retry_budget"))
    late.track("Viewed", {"$email": "late@example.com"}, {"$event_id": "late"})  # one by one too
    sys.exit(0)
if then == "from a thread":
    worker = threading.Thread(target=track, args=(0,))
    worker.start()
    worker.join()
    print(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, flush=True)
    track(1)
    print(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, flush=True)
    sys.exit(0)
print("ready", flush=True)
if then == "wait for a line":
    sys.stdin.readline()
    print(signal.getsignal(signal.SIGTERM) == signal.SIG_IGN,
          klaviyo.default_client().batcher().pending(), flush=True)
    sys.exit(0)
time.sleep(120)
print("woke up", flush=True)
"""


class Child:
    """A running :data:`CHILD`."""

    def __init__(self, base_url: str, key: str = KEY, **options: Any) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, key, base_url, json.dumps(options)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.signalled_at = 0.0

    def read_until(self, wanted: str) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())
            if line.strip() == wanted:
                return
        raise AssertionError(f"the child ended first: {self.finish()}")

    def signal(self, signum: int) -> None:
        self.signalled_at = time.monotonic()
        self.process.send_signal(signum)

    def finish(self, stdin: str = "") -> tuple[int, str, float]:
        """Its exit status, standard error, and the seconds from the signal to its end."""
        out, err = self.process.communicate(stdin, timeout=60)
        took = time.monotonic() - self.signalled_at
        self.lines += out.splitlines()
        return self.process.returncode, err, took


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


@pytest.fixture
def unreachable() -> Iterator[str]:
    """A base URL where nothing listens."""
    stopped = LocalKlaviyo(enforce_rate_limits=False).start()
    stopped.stop()
    yield stopped.base_url


@pytest.fixture
def hanging() -> Iterator[str]:
    """A base URL that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def stored(server: LocalKlaviyo) -> Counter[str]:
    return Counter(event.unique_id for event in server.store.events)


def logged(err: str) -> dict[str, Any]:
    """The ERROR lines of undelivered items: their payloads by ``unique_id``."""
    found: dict[str, Any] = {}
    for line in err.splitlines():
        match = re.match(r"ERROR undelivered buffered event of account (\w+), .*?: (\{.*\})$", line)
        if match:
            assert match.group(1) == account_label(KEY)
            payload = json.loads(match.group(2))
            unique_id = payload["event"]["attributes"]["unique_id"]
            assert unique_id not in found, f"{unique_id} logged twice"
            found[unique_id] = payload
    return found


# --- delivered, then the signal takes its course -------------------------------------------


@pytest.mark.parametrize(
    ("signum", "handler", "status"),
    [
        (signal.SIGTERM, None, -signal.SIGTERM),
        (signal.SIGTERM, "app", 3),
        (signal.SIGINT, None, -signal.SIGINT),
    ],
    ids=["sigterm-default", "sigterm-application-handler", "sigint-keyboardinterrupt"],
)
def test_a_signal_delivers_what_is_held_then_takes_its_course(
    server: LocalKlaviyo, signum: int, handler: Optional[str], status: int
) -> None:
    child = Child(server.base_url, server.private_key, held=2500, handler=handler, timeout=10)
    child.read_until("ready")
    child.signal(signum)
    returncode, err, took = child.finish()
    assert returncode == status, err
    assert sorted(stored(server)) == sorted(f"ev-{i}" for i in range(2500))
    assert max(stored(server).values()) == 1
    assert "ERROR" not in err
    assert "woke up" not in child.lines  # the sleep did not go on
    assert took < 10  # within the bound
    if handler == "app":
        assert "app handler 15" in child.lines
    if signum == signal.SIGINT:
        assert err.rstrip().endswith("KeyboardInterrupt")  # as Python's own default does


def test_a_signal_amid_calls_loses_none_of_the_acknowledged(server: LocalKlaviyo) -> None:
    # The main thread is making calls when the signal comes (maybe inside this library):
    # every call that returned 1 is stored, and the process ends as SIGTERM ends it.
    child = Child(server.base_url, server.private_key, forever=True, timeout=10)
    child.read_until("3000")
    child.signal(signal.SIGTERM)
    returncode, err, _ = child.finish()
    assert returncode == -signal.SIGTERM, err
    acknowledged = {f"ev-{line}" for line in child.lines if line.isdigit()}
    assert len(acknowledged) >= 3000
    assert acknowledged <= set(stored(server))
    assert "ERROR" not in err


# --- what cannot be delivered is logged ----------------------------------------------------------


def test_every_payload_an_unreachable_klaviyo_did_not_get_is_logged(unreachable: str) -> None:
    child = Child(unreachable, held=2500, timeout=1)
    child.read_until("ready")
    child.signal(signal.SIGTERM)
    returncode, err, took = child.finish()
    assert returncode == -signal.SIGTERM
    found = logged(err)
    assert sorted(found) == sorted(f"ev-{i}" for i in range(2500))
    assert found["ev-7"]["profile"]["attributes"]["email"] == "u7@example.com"
    assert KEY not in err and KEY[-8:] not in err
    assert took < 10  # the bound, 1 s, and the logging


def test_the_bound_holds_when_klaviyo_never_answers(hanging: str) -> None:
    # Requests hang (the read timeout is 30 s, the retry budget 120 s): at the bound what is
    # in flight and what is pending are logged, and the process ends.
    child = Child(hanging, held=2500, timeout=1)
    child.read_until("ready")
    child.signal(signal.SIGTERM)
    returncode, err, took = child.finish()
    assert returncode == -signal.SIGTERM
    assert sorted(logged(err)) == sorted(f"ev-{i}" for i in range(2500))
    assert "in flight (no answer yet: Klaviyo may have it)" in err
    assert took < 10


def test_a_second_signal_ends_the_shutdown_at_once(hanging: str) -> None:
    child = Child(hanging, held=1500, timeout=60)
    child.read_until("ready")
    child.signal(signal.SIGTERM)
    time.sleep(0.5)
    child.process.send_signal(signal.SIGTERM)
    returncode, err, took = child.finish()
    assert returncode == -signal.SIGTERM
    assert sorted(logged(err)) == sorted(f"ev-{i}" for i in range(1500))
    assert took < 10  # not the 60 s bound


# --- what is not watched ----------------------------------------------------------------------


def test_an_ignored_sigterm_stays_ignored(server: LocalKlaviyo) -> None:
    child = Child(
        server.base_url, server.private_key, held=10, handler="ignore", then="wait for a line"
    )
    child.read_until("ready")
    child.signal(signal.SIGTERM)
    time.sleep(0.3)
    returncode, err, _ = child.finish("go on\n")
    # Still ignored, nothing sent on the signal; the normal exit then delivered it all.
    assert child.lines[-1] == "True 10", err
    assert returncode == 0
    assert len(stored(server)) == 10


def test_the_handlers_are_installed_from_the_main_thread_only(server: LocalKlaviyo) -> None:
    child = Child(server.base_url, server.private_key, then="from a thread")
    returncode, err, _ = child.finish()
    assert returncode == 0, err
    assert child.lines == ["True", "False"]  # after the worker's call; after the main's
    assert "can watch SIGTERM and SIGINT only from the main thread" in err
    assert "shutdown()" in err


# --- shutdown() for a worker's exit hook -------------------------------------------------------


def test_shutdown_sends_what_is_held_and_later_calls_go_one_by_one(server: LocalKlaviyo) -> None:
    child = Child(server.base_url, server.private_key, held=2500, then="shutdown", timeout=10)
    returncode, err, _ = child.finish()
    assert returncode == 0, err
    report, after = (json.loads(line) for line in child.lines)
    assert report["pending"] == 0 and report["delivered"] > 0
    assert after == {"flushed": 0}
    assert len(stored(server)) == 2502
    # The calls after the shutdown, the second by a client made after it: one by one.
    assert server.operations()[-2:] == ["create_event", "create_event"]


def test_shutdown_logs_what_it_could_not_deliver(unreachable: str) -> None:
    child = Child(unreachable, held=300, then="shutdown", timeout=0.5, retry_budget=0)
    returncode, err, _ = child.finish()
    report = json.loads(child.lines[0])
    assert report == {"delivered": 0, "pending": 300, "requests": 0}
    assert sorted(logged(err)) == sorted(f"ev-{i}" for i in range(300))
    # The call after the shutdown was sent on its own, and failed loudly: not held, not lost.
    assert returncode == 1 and "TransportError" in err.splitlines()[-1]


def test_shutdown_leaves_what_it_could_not_deliver_in_the_spool(
    unreachable: str, tmp_path: Path
) -> None:
    path = tmp_path / "spool.db"
    child = Child(
        unreachable, held=300, then="shutdown", timeout=0.5, retry_budget=0, spool=str(path)
    )
    _, err, _ = child.finish()
    assert json.loads(child.lines[0]) == {"delivered": 0, "pending": 300, "requests": 0}
    assert logged(err) == {} and "kept in the spool" in err
    # Kept, not logged one by one; and the spool was let go (nobody else owns it now).
    with Spool(path) as spool:
        assert spool.counts()["pending"] == 300


# --- the store's side ---------------------------------------------------------------------------


def test_a_sealed_memory_store_hands_over_everything_and_takes_nothing_more() -> None:
    store = MemorySpool()
    store.add_many("event@a", [{"n": 1}, {"n": 2}, {"n": 3}])
    (first, _), (second, _) = store.take("event@a", 2)
    store.done([first])
    assert store.seal() == [("event@a", "in flight", {"n": 2}), ("event@a", "pending", {"n": 3})]
    with pytest.raises(Sealed):
        store.add_many("event@a", [{"n": 4}])
    store.done([second])  # an answer that came late: it is in the log already
    store.release([second])
    assert store.take("event@a", 10) == [] and store.seal() == []


# --- README: the hooks run as written ---------------------------------------------------------


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_readme_gunicorn_hooks_run_as_written(server: LocalKlaviyo, tmp_path: Path) -> None:
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(readme_block("def worker_exit"), encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os, runpy
        import klaviyo_legacy_compat as klaviyo
        klaviyo.configure(private_key={server.private_key!r}, base_url={server.base_url!r},
                          batching=True, batch_max_age=3600)
        for i in range(5):
            klaviyo.track("Viewed", {{"$email": "a@example.com"}}, {{"$event_id": f"ev-{{i}}"}})
        hooks = runpy.run_path({str(config)!r})
        assert hooks["graceful_timeout"] > 5
        hooks["worker_exit"](None, None)  # what gunicorn calls as the worker ends
        os._exit(0)  # no atexit: only the hook can have sent them
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert len(stored(server)) == 5


def test_the_readme_script_with_its_own_handler_runs_as_written() -> None:
    done = subprocess.run(
        [sys.executable, "-c", readme_block("signal.signal(signal.SIGTERM, stop)")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("marker", ["worker_process_shutdown", "uwsgi.atexit"])
def test_the_readme_hooks_of_celery_and_uwsgi_compile(marker: str) -> None:
    # They need Celery, or the uwsgi module that exists inside uWSGI only: compiled here,
    # and each calls shutdown() as its hook.
    block = readme_block(marker)
    compile(block, marker, "exec")
    assert "klaviyo_legacy_compat.shutdown" in block
