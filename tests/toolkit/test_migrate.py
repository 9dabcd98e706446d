"""``klaviyo-legacy-compat migrate``: the legacy imports become the modules ``install()`` maps
them to, nothing else changes, a second run changes nothing, and migrated programs run with
the retired packages absent."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat import cli
from klaviyo_legacy_compat._surfaces.install import ALIASES
from klaviyo_legacy_compat._toolkit.migrate import (
    TARGETS,
    MigrateError,
    migrate_paths,
    migrate_source,
)
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.test_import_swap import check, check_sdk

PACKAGE = "klaviyo_legacy_compat"

#: (legacy source, migrated source): one row per import form. Rows whose two sides are the
#: same are decoys, which must stay byte for byte.
TABLE: list[tuple[bytes, bytes]] = [
    (b"import klaviyo\n", b"import klaviyo_legacy_compat as klaviyo\n"),
    (b"import klaviyo as k\n", b"import klaviyo_legacy_compat as k\n"),
    # binds `klaviyo` and loads klaviyo.exceptions: the same binding, the submodule loaded
    (
        b"import klaviyo.exceptions\n",
        b"import klaviyo_legacy_compat.exceptions, klaviyo_legacy_compat as klaviyo\n",
    ),
    (
        b"import klaviyo.exceptions as errors\n",
        b"import klaviyo_legacy_compat.exceptions as errors\n",
    ),
    (b"from klaviyo import Klaviyo\n", b"from klaviyo_legacy_compat import Klaviyo\n"),
    (
        b"from klaviyo.exceptions import KlaviyoAPIException\n",
        b"from klaviyo_legacy_compat.exceptions import KlaviyoAPIException\n",
    ),
    (
        b"from klaviyo.api_helper import KlaviyoAPIResponse as R\n",
        b"from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPIResponse as R\n",
    ),
    # a legacy submodule: loaded, and an attribute of the package bound as before
    (
        b"import klaviyo.api_helper\n",
        b"import klaviyo_legacy_compat.legacy.api_helper, klaviyo_legacy_compat as klaviyo\n",
    ),
    (b"from klaviyo import lists\n", b"from klaviyo_legacy_compat import lists\n"),
    # a star import takes the legacy package's names only, never the library's `track`, ...
    (b"from klaviyo import *\n", b"from klaviyo_legacy_compat.legacy import *\n"),
    (b"from klaviyo_sdk import Client\n", b"from klaviyo_legacy_compat.sdk import Client\n"),
    (
        b"from klaviyo_sdk.custom_retry import retry_if_qualifies\n",
        b"from klaviyo_legacy_compat.sdk.custom_retry import retry_if_qualifies\n",
    ),
    (b"import swagger_client\n", b"import klaviyo_legacy_compat.sdk.swagger as swagger_client\n"),
    (
        b"import swagger_client.models\n",
        b"import klaviyo_legacy_compat.sdk.models, "
        b"klaviyo_legacy_compat.sdk.swagger as swagger_client\n",
    ),
    (
        b"from swagger_client import ApiClient, Configuration\n",
        b"from klaviyo_legacy_compat.sdk.swagger import ApiClient, Configuration\n",
    ),
    (
        b"from swagger_client.rest import ApiException\n",
        b"from klaviyo_legacy_compat.sdk.rest import ApiException\n",
    ),
    # several names, only the legacy ones change
    (b"import os, klaviyo, sys\n", b"import os, klaviyo_legacy_compat as klaviyo, sys\n"),
    (
        b"import klaviyo_sdk as sdk, json\n",
        b"import klaviyo_legacy_compat.sdk as sdk, json\n",
    ),
    # parentheses, comments and continuations stay where they were
    (
        b"from klaviyo.exceptions import (  # the errors\n"
        b"    KlaviyoAPIException,  # raised on 4xx/5xx\n"
        b"    KlaviyoException,\n"
        b")\n",
        b"from klaviyo_legacy_compat.exceptions import (  # the errors\n"
        b"    KlaviyoAPIException,  # raised on 4xx/5xx\n"
        b"    KlaviyoException,\n"
        b")\n",
    ),
    (
        b"from klaviyo \\\n    import Klaviyo\n",
        b"from klaviyo_legacy_compat \\\n    import Klaviyo\n",
    ),
    (
        b"import os, \\\n    klaviyo  # why\n",
        b"import os, \\\n    klaviyo_legacy_compat as klaviyo  # why\n",
    ),
    (
        b"from   klaviyo . exceptions   import  X\n",
        b"from   klaviyo_legacy_compat.exceptions   import  X\n",
    ),
    # anywhere a statement may stand
    (
        b"try:\n    import klaviyo\nexcept ImportError:\n    klaviyo = None\n",
        b"try:\n    import klaviyo_legacy_compat as klaviyo\n"
        b"except ImportError:\n    klaviyo = None\n",
    ),
    (
        b"try: import klaviyo\nexcept ImportError: pass\n",
        b"try: import klaviyo_legacy_compat as klaviyo\nexcept ImportError: pass\n",
    ),
    (
        b"def f():\n    from klaviyo_sdk import Client\n    return Client\n",
        b"def f():\n    from klaviyo_legacy_compat.sdk import Client\n    return Client\n",
    ),
    (
        b"import json; import klaviyo; x = 1\n",
        b"import json; import klaviyo_legacy_compat as klaviyo; x = 1\n",
    ),
    (
        b"if True: from klaviyo import Klaviyo\n",
        b"if True: from klaviyo_legacy_compat import Klaviyo\n",
    ),
    # the bytes around them: CRLF, BOM, a PEP 263 cookie, no final newline
    (
        b"import klaviyo\r\nclient = klaviyo.Klaviyo()  # keep\r\n",
        b"import klaviyo_legacy_compat as klaviyo\r\nclient = klaviyo.Klaviyo()  # keep\r\n",
    ),
    (
        b"\xef\xbb\xbfimport klaviyo\nname = '\xc3\xa9'\n",
        b"\xef\xbb\xbfimport klaviyo_legacy_compat as klaviyo\nname = '\xc3\xa9'\n",
    ),
    (
        b"# -*- coding: latin-1 -*-\nimport klaviyo  # caf\xe9\n",
        b"# -*- coding: latin-1 -*-\nimport klaviyo_legacy_compat as klaviyo  # caf\xe9\n",
    ),
    (b"import klaviyo", b"import klaviyo_legacy_compat as klaviyo"),
    (
        b"import klaviyo\n\n\x0c\ndef f():\n\tpass\n",
        b"import klaviyo_legacy_compat as klaviyo\n\n\x0c\ndef f():\n\tpass\n",
    ),
    # decoys: not legacy, or not an import
    (b"import klaviyo_legacy_compat as klaviyo\n",) * 2,
    (b"from klaviyo_legacy_compat.sdk import Client\n",) * 2,
    (b"import klaviyo_api\nfrom klaviyo_api import KlaviyoAPI\n",) * 2,
    (b"import klaviyo_helpers, klaviyox\n",) * 2,
    (b"from . import klaviyo\nfrom .klaviyo import x\nfrom ..klaviyo_sdk import y\n",) * 2,
    (b"# import klaviyo\nx = 'import klaviyo'\n",) * 2,
    (b'"""\nimport klaviyo\n"""\n',) * 2,
    (b"def g(klaviyo):\n    x = yield from klaviyo\n",) * 2,
    (b"try:\n    pass\nexcept E as e:\n    raise E from klaviyo\n",) * 2,
    (b"client = klaviyo.Klaviyo(); klaviyo_sdk.Client()\n",) * 2,
    (b"",) * 2,
]


@pytest.mark.parametrize(
    ("source", "expected"), TABLE, ids=[row[0][:40].decode("latin-1") for row in TABLE]
)
def test_each_import_form(source: bytes, expected: bytes) -> None:
    migration = migrate_source(source)
    assert migration.encoded() == expected
    assert migration.changed == (source != expected)
    assert migration.left == ()


@pytest.mark.parametrize(
    ("source", "expected"), TABLE, ids=[row[0][:40].decode("latin-1") for row in TABLE]
)
def test_a_second_run_changes_nothing(source: bytes, expected: bytes) -> None:
    again = migrate_source(expected)
    assert not again.changed and again.encoded() == expected


def test_the_table_is_install_s_table_but_for_the_package_klaviyo() -> None:
    # One row per legacy module: each becomes what install() maps it to, but `klaviyo` and
    # `klaviyo.exceptions`, which become the library's package and its exceptions (the
    # contract's import swap); a star import keeps install()'s.
    swapped = {"klaviyo": "klaviyo_legacy_compat", "klaviyo.exceptions": f"{PACKAGE}.exceptions"}
    assert {**ALIASES, **swapped} == TARGETS
    for legacy, target in TARGETS.items():
        source = f"from {legacy} import x\n".encode()
        assert migrate_source(source).encoded() == f"from {target} import x\n".encode()
        star = f"from {legacy} import *\n".encode()
        assert migrate_source(star).encoded() == f"from {ALIASES[legacy]} import *\n".encode()


def test_a_legacy_submodule_is_its_parent_s_attribute_as_it_was() -> None:
    # What `import klaviyo.exceptions` → `import <target>, <parent target> as klaviyo` rests on:
    # once the submodule's target is imported, it is the attribute of its parent's target.
    for legacy, target in TARGETS.items():
        parent, _, name = legacy.rpartition(".")
        if parent:
            module = importlib.import_module(target)
            assert getattr(importlib.import_module(TARGETS[parent]), name) is module


def test_the_package_carries_every_name_of_the_legacy_package() -> None:
    # `import klaviyo_legacy_compat as klaviyo`: whatever code reached through `klaviyo` (the
    # legacy layout, install()'s target) it reaches through the library's package, the same
    # objects; but `__version__`, which is the library's own.
    legacy = importlib.import_module(ALIASES["klaviyo"])
    package = importlib.import_module(PACKAGE)
    modules = {n.split(".")[1] for n in ALIASES if n.startswith("klaviyo.")}
    names = {*legacy.__all__, *modules} - {"__version__"}
    assert {"Klaviyo", "KlaviyoException", "api_helper", "exceptions", "middleware"} <= names
    for name in names:
        if name == "exceptions":  # the library's own: the legacy names and the rest
            legacy_errors = importlib.import_module(ALIASES["klaviyo.exceptions"])
            for error in legacy_errors.__all__:
                assert getattr(package.exceptions, error) is getattr(legacy_errors, error)
        elif name in modules:
            module = importlib.import_module(ALIASES[f"klaviyo.{name}"])
            assert getattr(package, name) is module, name
        else:
            assert getattr(package, name) is getattr(legacy, name), name


def test_a_legacy_module_nothing_stands_in_for_is_left_and_named() -> None:
    source = b"import os\nfrom swagger_client.models.list_id_subscribe_body import Body\n"
    migration = migrate_source(source)
    assert not migration.changed
    assert migration.left == (
        "line 2: swagger_client.models.list_id_subscribe_body: no module of "
        "klaviyo_legacy_compat stands in for it, left as it is (its package "
        "swagger_client.models is klaviyo_legacy_compat.sdk.models; import the names from "
        "there)",
    )


@pytest.mark.parametrize(
    "source",
    [b"print 'python 2'\n", b"import klaviyo\n  x = 1\n", b"\xff\xfe", b"x = 1\x00\n"],
)
def test_a_file_that_is_not_python_is_refused(source: bytes) -> None:
    with pytest.raises(MigrateError):
        migrate_source(source)


def test_the_diff_is_unified_and_says_a_last_line_has_no_newline() -> None:
    migration = migrate_source(b"import os\nimport klaviyo")
    assert migration.diff("app.py") == (
        "--- app.py\n+++ app.py\n@@ -1,2 +1,2 @@\n import os\n-import klaviyo\n"
        "\\ No newline at end of file\n+import klaviyo_legacy_compat as klaviyo\n"
        "\\ No newline at end of file\n"
    )
    assert migrate_source(b"import os\n").diff("app.py") == ""


# --- files and the command --------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = migrate_paths(list(argv[1:]), write=argv[0] == "--write", out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_a_diff_by_default_then_write_then_nothing(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "main.py").write_bytes(b"import klaviyo\r\nimport os\r\n")
    (app / "main.py").chmod(0o750)
    (app / "pkg" / "tasks.py").write_bytes(b"from klaviyo_sdk import Client\n")
    (app / "pkg" / "clean.py").write_bytes(b"import klaviyo_api\n")
    (app / "notes.txt").write_bytes(b"import klaviyo\n")
    for skipped in (".git", ".venv", "venv", "node_modules", "__pycache__"):
        (app / skipped).mkdir()
        (app / skipped / "vendored.py").write_bytes(b"import klaviyo\n")
    before = tree(app)

    status, out, err = run_cli("--diff", str(app))
    assert (status, err) == (1, "")
    assert tree(app) == before  # a diff only
    main, tasks = str(app / "main.py"), str(app / "pkg" / "tasks.py")
    assert out == (
        f"--- {main}\n+++ {main}\n@@ -1,2 +1,2 @@\n-import klaviyo\r\n"
        f"+import klaviyo_legacy_compat as klaviyo\r\n import os\r\n"
        f"--- {tasks}\n+++ {tasks}\n@@ -1 +1 @@\n-from klaviyo_sdk import Client\n"
        f"+from klaviyo_legacy_compat.sdk import Client\n"
    )

    status, out, err = run_cli("--write", str(app))
    assert (status, err) == (0, "")
    assert out == (
        f"migrated {main}: 1 import(s) rewritten\nmigrated {tasks}: 1 import(s) rewritten\n"
    )
    after = tree(app)
    assert after["main.py"] == b"import klaviyo_legacy_compat as klaviyo\r\nimport os\r\n"
    assert after["pkg/tasks.py"] == b"from klaviyo_legacy_compat.sdk import Client\n"
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"main.py", "pkg/tasks.py"}  # not the skipped folders, not notes.txt
    assert (app / "main.py").stat().st_mode & 0o777 == 0o750
    assert not list(app.rglob(".migrate-*"))

    assert run_cli("--diff", str(app)) == (0, "", "")
    assert run_cli("--write", str(app)) == (0, "", "")


def test_a_file_that_cannot_be_read_is_named_and_the_rest_migrated(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_bytes(b"import klaviyo\nprint 'hi'\n")
    (tmp_path / "new.py").write_bytes(b"import klaviyo\n")
    (tmp_path / "odd.py").write_bytes(b"from swagger_client.api.lists_api import ListsApi\n")
    status, out, err = run_cli("--write", str(tmp_path))
    assert status == 2
    assert out == f"migrated {tmp_path / 'new.py'}: 1 import(s) rewritten\n"
    assert f"{tmp_path / 'old.py'}: not valid Python" in err and "(left unchanged)" in err
    assert f"{tmp_path / 'odd.py'}: line 1: swagger_client.api.lists_api: no module" in err
    assert (tmp_path / "old.py").read_bytes() == b"import klaviyo\nprint 'hi'\n"
    # the status without the broken file: 1, a legacy import is left for a hand
    (tmp_path / "old.py").unlink()
    assert run_cli("--write", str(tmp_path))[0] == 1


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    status, out, err = run_cli("--diff", str(tmp_path / "nope"))
    assert (status, out) == (2, "")
    assert "no such file or directory" in err


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "app.py"
    program.write_bytes(b"import klaviyo\n")
    assert cli.main(["migrate", str(program)]) == 1
    assert "+import klaviyo_legacy_compat as klaviyo\n" in capsys.readouterr().out
    assert cli.main(["migrate", "--write", str(program)]) == 0
    assert cli.main(["migrate", str(program)]) == 0
    assert program.read_bytes() == b"import klaviyo_legacy_compat as klaviyo\n"


# --- migrated programs run with the retired packages absent ----------------------------------

PROGRAMS = Path(__file__).parent.parent / "programs"

#: A ``sitecustomize`` that makes the retired packages impossible to import, installed or not.
BLOCKER = (
    "import sys\n"
    "for name in ('klaviyo', 'klaviyo_sdk', 'swagger_client'):\n"
    "    sys.modules[name] = None  # import fails: the package is absent\n"
)


def run_program(
    path: Path, tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_")}
    return subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        env={**clean, **env, "PYTHONPATH": str(blocker)},
        cwd=tmp_path,
        check=False,
        timeout=60,
    )


def migrated(name: str, tmp_path: Path) -> Path:
    program = tmp_path / "app" / name
    program.parent.mkdir(exist_ok=True)
    shutil.copy(PROGRAMS / name, program)
    assert cli.main(["migrate", "--write", str(program.parent)]) == 0
    return program


@pytest.fixture
def server() -> Any:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def server_env(server: LocalKlaviyo, list_id: str) -> dict[str, str]:
    return {
        "PUBLIC": server.public_key,
        "PRIVATE": server.private_key,
        "LIST_ID": list_id,
        "KLAVIYO_API_BASE_URL": server.base_url,
        "API_SERVER": server.base_url + "/api",
    }


def test_the_unmigrated_programs_fail_without_the_retired_packages(tmp_path: Path) -> None:
    for name in ("klaviyo_readme.py", "klaviyo2_readme.py", "klaviyo_sdk_readme.py"):
        done = run_program(PROGRAMS / name, tmp_path, {})
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr, name


def test_a_migrated_3_x_program_runs(server: LocalKlaviyo, tmp_path: Path, capsys: Any) -> None:
    program = migrated("klaviyo_readme.py", tmp_path)
    list_id = server.store.create_list("Newsletter")
    done = run_program(program, tmp_path, server_env(server, list_id))
    assert done.returncode == 0, done.stderr
    check(json.loads(done.stdout), server, list_id)


def test_a_migrated_2_x_program_runs(server: LocalKlaviyo, tmp_path: Path, capsys: Any) -> None:
    program = migrated("klaviyo2_readme.py", tmp_path)
    list_id = server.store.create_list("Newsletter")
    done = run_program(program, tmp_path, server_env(server, list_id))
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results["track"] is True and results["identify"] is True
    assert results["members"] == ["george.washington@example.com"]
    assert results["local_error"] == "You must identify a user by email or ID."  # 2.x's attr
    assert results["api_error"] == 404


def test_a_migrated_sdk_program_runs(server: LocalKlaviyo, tmp_path: Path, capsys: Any) -> None:
    program = migrated("klaviyo_sdk_readme.py", tmp_path)
    list_id = server.store.create_list("Newsletter")
    done = run_program(program, tmp_path, server_env(server, list_id))
    assert done.returncode == 0, done.stderr
    check_sdk(json.loads(done.stdout), server, list_id)


#: A legacy program using every package and import form, printing what its calls return.
DRY_RUN_PROGRAM = '''\
"""Legacy calls through every retired package."""
import json
import klaviyo.exceptions
import klaviyo.api_helper
from klaviyo import KlaviyoException
from klaviyo_sdk import Client
from klaviyo_sdk.custom_retry import retry_if_qualifies
import swagger_client.rest
from swagger_client import ApiClient, Configuration, ListsSegmentsApi

client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_test")
plans = [
    client.Public.track("Placed Order", email="ann@example.com"),
    client.Lists.add_subscribers_to_list("XyZ123", [{"email": "ann@example.com"}]),
    Client("pk_test").ListsSegments.get_lists(),
]
config = Configuration()
config.api_key["api_key"] = "pk_test"
plans.append(ListsSegmentsApi(ApiClient(config)).get_lists())
assert issubclass(klaviyo.exceptions.KlaviyoConfigurationException, KlaviyoException)
assert klaviyo.api_helper.KlaviyoAPIResponse(200, 1).data == 1
assert issubclass(klaviyo.KlaviyoException, Exception)
assert issubclass(swagger_client.rest.ApiException, Exception) and retry_if_qualifies
print(json.dumps([[(r["method"], r["url"]) for r in p.to_dict()["requests"]] for p in plans]))
'''


def test_a_migrated_program_runs_in_dry_run(tmp_path: Path, capsys: Any) -> None:
    program = tmp_path / "app" / "legacy.py"
    program.parent.mkdir()
    program.write_text(DRY_RUN_PROGRAM, encoding="utf-8")
    assert run_program(program, tmp_path, {}).returncode == 1  # absent: it cannot run as it is
    assert cli.main(["migrate", "--write", str(program)]) == 0
    done = run_program(program, tmp_path, {"KLAVIYO_LEGACY_COMPAT_DRY_RUN": "1"})
    assert done.returncode == 0, done.stderr
    plans = json.loads(done.stdout)
    base = "https://a.klaviyo.com/api"
    assert plans[0] == [["POST", f"{base}/events"]]
    assert ["POST", f"{base}/profile-subscription-bulk-create-jobs"] in plans[1]
    assert plans[2] == plans[3] == [["GET", f"{base}/lists"]]
    assert "pk_test" not in done.stdout
