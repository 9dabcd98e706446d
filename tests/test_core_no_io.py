"""The pure core does no I/O, and the rule is a folder: every module under ``_core/`` imports
neither requests, sockets, HTTP, threads, the OS nor the clock, and never sleeps.

The core is loaded in a fresh interpreter where ``requests`` and ``socket`` cannot be
imported: every module of ``_core/`` must load there, and translating all five calls must work.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "klaviyo_legacy_compat"

#: The pure core is a folder: every module under ``_core/``, found in the tree under test, so a
#: new module is held to the rule by being put there.
CORE_DIR = PACKAGE / "_core"
CORE = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in CORE_DIR.rglob("*.py")
)

SCRIPT = """
import sys, types
from datetime import datetime, timezone
sys.modules["requests"] = None
sys.modules["socket"] = None
sys.modules["urllib3"] = None
# Load the core modules without the package __init__ (which also exports the transport).
package = types.ModuleType("klaviyo_legacy_compat")
package.__path__ = [%r]
sys.modules["klaviyo_legacy_compat"] = package
from klaviyo_legacy_compat._core.calls import (
    parse_track, IdentifyCall, SubscribeCall, UnsubscribeCall, ExcludeEmailCall,
)
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.flow import run, default_reply
from klaviyo_legacy_compat._core.translate import translate
now = datetime.now(timezone.utc)
calls = [
    parse_track(
        "Viewed", {"$email": "a@example.com"}, {}, None, None, is_test=False, naive="local", now=now
    ),
    IdentifyCall({"$email": "a@example.com"}),
    SubscribeCall("XyZ", [{"email": "a@example.com"}]),
    UnsubscribeCall("XyZ", ("a@example.com",)),
    ExcludeEmailCall(("a@example.com",)),
]
sent = []
for call in calls:
    flow = translate(call, server_side=True, options=Options())
    def record(step):
        sent.append(step.request)
        return step.dry_run_reply or default_reply(step.request)
    run(flow, record, lambda n: None)
import importlib
for name in %r:
    importlib.import_module(name)  # every module of the core loads without requests/sockets
assert "requests" not in {m for m, v in sys.modules.items() if v is not None}
print(len(sent))
"""


def test_the_core_runs_without_requests_or_sockets() -> None:
    script = SCRIPT % (str(PACKAGE), CORE)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 5


def test_the_core_folder_holds_the_translators_and_the_parsers() -> None:
    # The listing is discovered, so it must find the modules we know of (and more).
    assert {
        "klaviyo_legacy_compat._core",
        "klaviyo_legacy_compat._core.calls",
        "klaviyo_legacy_compat._core.prepare",
        "klaviyo_legacy_compat._core.wire",
        "klaviyo_legacy_compat._core.translate",
        "klaviyo_legacy_compat._core.translate.events",
        "klaviyo_legacy_compat._core.translate.lists",
        "klaviyo_legacy_compat._core.translate.subscriptions",
    } <= set(CORE)


def test_no_core_module_imports_io_or_sleeps() -> None:
    banned = {"requests", "socket", "urllib3", "http", "time", "threading", "os", "subprocess"}
    for path in sorted(CORE_DIR.rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & banned, f"{name} imports {roots & banned}"


def test_translators_never_see_keys() -> None:
    # The translation functions take a call and Options; neither can hold a key.
    import attrs

    from klaviyo_legacy_compat._core.calls import (
        IdentifyCall,
        SubscribeCall,
        TrackCall,
        UnsubscribeCall,
    )
    from klaviyo_legacy_compat._core.config import Options

    for cls in (Options, TrackCall, IdentifyCall, SubscribeCall, UnsubscribeCall):
        names = {field.name for field in attrs.fields(cls)}
        suspicious = {n for n in names if n.endswith(("_key", "token", "credentials", "api_key"))}
        assert not suspicious, (cls, suspicious)
