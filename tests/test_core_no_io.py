"""The translation core does no I/O: it imports neither requests nor sockets and never sleeps.

The core is imported in a fresh interpreter where ``requests`` and ``socket`` cannot be
imported; translating all five calls must still work there.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "klaviyo_legacy_compat"

#: The core modules outside ``_translate``; every module of ``_translate`` is added below,
#: so a new translator is covered without being listed.
CORE_OUTSIDE_TRANSLATE = [
    "_bodies",
    "_calls",
    "_catalogue",
    "_config",
    "_convert",
    "_documents",
    "_credentials",
    "_endpoints",
    "_endpoint_table",
    "_errors",
    "_flow",
    "_legacy_endpoint",
    "_legacy_keys",
    "_leniency",
    "_models",
    "_parse",
    "_phone",
    "_plan",
    "_prepare",
    "_types",
    "_values",
    "_version",
    "_wire",
]
TRANSLATE_MODULES = sorted(
    # The package ``klaviyo_legacy_compat._translate``, read from the tree under test.
    f"_translate.{module.name}"
    for module in pkgutil.iter_modules([str(PACKAGE / "_translate")])
)
CORE = [*CORE_OUTSIDE_TRANSLATE, "_translate", *TRANSLATE_MODULES]

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
from klaviyo_legacy_compat._calls import (
    parse_track, IdentifyCall, SubscribeCall, UnsubscribeCall, ExcludeEmailCall,
)
from klaviyo_legacy_compat._config import Options
from klaviyo_legacy_compat._flow import run, default_reply
from klaviyo_legacy_compat._translate import translate
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
assert "requests" not in {m for m, v in sys.modules.items() if v is not None}
print(len(sent))
"""


def test_the_core_runs_without_requests_or_sockets() -> None:
    script = SCRIPT % str(PACKAGE)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 5


def test_the_core_list_holds_every_translator() -> None:
    # The listing is discovered, so it must find the translators we know of (and more).
    assert {
        "_translate._jsonapi",
        "_translate._paging",
        "_translate.campaigns",
        "_translate.events",
        "_translate.lists",
        "_translate.metrics",
        "_translate.privacy",
        "_translate.profiles",
        "_translate.templates",
    } <= set(TRANSLATE_MODULES)
    for name in CORE:
        path = PACKAGE / (name.replace(".", "/") + ".py")
        assert path.exists() or (PACKAGE / name.replace(".", "/") / "__init__.py").exists(), name


def test_no_core_module_imports_io_or_sleeps() -> None:
    banned = {"requests", "socket", "urllib3", "http", "time", "threading", "os", "subprocess"}
    for name in CORE:
        path = PACKAGE / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE / name.replace(".", "/") / "__init__.py"
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

    from klaviyo_legacy_compat._calls import IdentifyCall, SubscribeCall, TrackCall, UnsubscribeCall
    from klaviyo_legacy_compat._config import Options

    for cls in (Options, TrackCall, IdentifyCall, SubscribeCall, UnsubscribeCall):
        names = {field.name for field in attrs.fields(cls)}
        suspicious = {n for n in names if n.endswith(("_key", "token", "credentials", "api_key"))}
        assert not suspicious, (cls, suspicious)
