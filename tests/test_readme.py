"""README.md runs as written: every fenced block is taken out of it and run, with no API key
and no way to reach the internet.

- Every block carries a language tag. ``python`` and ``sh`` blocks are code, and run;
  ``text``, ``ini``, ``toml`` and the other tags of :data:`NOT_CODE` mark output samples and
  configuration files, which are shown and never run. A block with no tag, or another tag,
  fails.
- A python block runs in a fresh interpreter (warnings are errors), in an empty temporary
  directory, within :data:`TIMEOUT`. A traceback names the README's own line numbers.
- A sh block runs command by command: ``./scripts/...`` from the repository, everything else
  in an empty temporary directory where ``.venv`` is the environment running these tests (the
  README's commands say ``.venv/bin/...``). :data:`SERVERS` run until they answer on their
  ``--port``, then are stopped; :data:`NOT_RUN` names each command that cannot run here, why,
  and what runs it instead.
- Every Python process they start has the internet cut off (:func:`forbid_the_internet`, as
  ``sitecustomize``): a name lookup or a connection beyond loopback ends it with exit status
  97, saying what it tried. No ``KLAVIYO_*`` variable reaches them.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Tags of the code this test runs: python in an interpreter, sh and bash in their shells.
PYTHON = "python"
SHELLS = {"sh": "sh", "bash": "bash"}
#: Tags of blocks that are not code (output samples, configuration files): never run.
NOT_CODE = frozenset({"text", "ini", "toml", "json", "yaml", "diff"})

#: Seconds a python block or a command may take.
TIMEOUT = 120

#: Commands of the README's sh blocks that are not run here (a pattern each), with the reason
#: and what runs them instead. A pattern that matches no command fails: no stale entry.
NOT_RUN = {
    r"(^|\s)\./scripts/test\b": (
        "the whole test suite, this test among it, would run itself; .ci/run runs the first "
        "./scripts/test line, read from README.md, and again with PYTHON= set to the oldest "
        "Python claimed where the machine has one"
    ),
    r"\bklaviyo-legacy-compat spool /var/lib/app/": (
        "commands on a production spool (and --drain with a live key): "
        "tests/test_spool_command.py runs each option on spools it writes"
    ),
}

#: Commands that serve until stopped: started as written, checked to answer HTTP on their
#: ``--port``, then stopped.
SERVERS = (r"\bklaviyo-legacy-compat serve\b",)


class Block(NamedTuple):
    """A fenced block: the line of its opening fence, its language tag ("" for none), its
    text."""

    line: int
    tag: str
    text: str


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


def blocks_of(markdown: str) -> list[Block]:
    """The fenced code blocks of a CommonMark document, in order."""
    lines = markdown.splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening.groups()
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body = []
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            line = lines[end]
            body.append(line[min(len(indent), len(line) - len(line.lstrip(" "))) :])
            end += 1
        tag = info.split()[0] if info.strip() else ""
        found.append(Block(index + 1, tag, "".join(line + "\n" for line in body)))
        index = end + 1
    return found


def tagging_problems(blocks: list[Block]) -> list[str]:
    """The blocks whose tag says neither code this test runs nor clearly not code."""
    known = {PYTHON, *SHELLS, *NOT_CODE}
    problems = []
    for block in blocks:
        if not block.tag:
            problems.append(
                f"README.md:{block.line}: a block without a language tag (python and sh run; "
                f"mark output or configuration with one of {sorted(NOT_CODE)})"
            )
        elif block.tag not in known:
            problems.append(f"README.md:{block.line}: unknown tag {block.tag!r}")
    return problems


def commands_of(script: str) -> Iterator[str]:
    """The commands of a shell block: one per line, a line ending in ``\\`` or inside quotes
    going on to the next."""
    command = ""
    for line in script.splitlines():
        command = f"{command}\n{line}" if command else line
        if command.endswith("\\"):
            continue
        try:
            shlex.split(command, comments=True)
        except ValueError:  # a quote still open
            continue
        if command.strip() and not command.lstrip().startswith("#"):
            yield command
        command = ""
    if command.strip():
        yield command  # unfinished: it will fail as such


def forbid_the_internet() -> None:
    """Run as ``sitecustomize`` in every Python process the README's code starts: a name
    lookup or a connection beyond loopback (and the unspecified address a server binds) ends
    the process with exit status 97, saying what it tried. Self-contained: its source is
    written out as the module."""
    import ipaddress
    import os
    import socket
    import sys
    from typing import Any

    def local(host: Any) -> bool:
        if host is None:
            return True
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == "localhost" or name.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def refuse(what: str) -> None:
        sys.stderr.write(f"README code tried to reach the internet: {what}\n")
        sys.stderr.flush()
        os._exit(97)

    lookup = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not local(host):
            refuse(f"a name lookup of {host!r}")
        return lookup(host, *args, **kwargs)

    def guarded(method: Any) -> Any:
        def connect(self: socket.socket, address: Any) -> Any:
            if isinstance(address, tuple) and not local(address[0]):
                refuse(f"a connection to {address!r}")
            return method(self, address)

        return connect

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = guarded(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(socket.socket.connect_ex)  # type: ignore[method-assign]


#: What the host processes of the README's worker hooks give the code they run, for the
#: blocks written for them: modules that exist only inside uWSGI and Celery. Each calls the
#: hooks the block installed when the interpreter exits, as its host does when a worker stops,
#: and ends the process with exit status 98 if a hook fails. Written out only where the real
#: module is not installed.
HOSTS = {
    "uwsgi.py": '''"""uWSGI's module as uWSGI gives it to an app: it calls uwsgi.atexit at exit."""
import atexit as _atexit
import os as _os
import sys as _sys
import traceback as _traceback


def _stop():
    try:
        _sys.modules[__name__].atexit()
    except BaseException:
        _traceback.print_exc()
        _os._exit(98)


_atexit.register(_stop)
''',
    "celery/__init__.py": '"""Celery, as its worker gives it to the code it runs."""\n',
    "celery/signals.py": '''"""Celery's worker signals, sent at exit as a stopping worker does."""
import atexit as _atexit
import os as _os
import traceback as _traceback


class Signal:
    def __init__(self, name):
        self.name = name
        self.receivers = []

    def connect(self, receiver):
        self.receivers.append(receiver)
        return receiver

    def send(self, sender=None, **named):
        return [(r, r(signal=self, sender=sender, **named)) for r in self.receivers]


worker_process_shutdown = Signal("worker_process_shutdown")
worker_shutdown = Signal("worker_shutdown")


def _stop():
    try:
        worker_process_shutdown.send(pid=_os.getpid(), exitcode=0)
        worker_shutdown.send()
    except BaseException:
        _traceback.print_exc()
        _os._exit(98)


_atexit.register(_stop)
''',
}


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """An empty working directory, and beside it the ``sitecustomize`` that cuts the
    internet off and the host modules (see :data:`HOSTS`)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        inspect.getsource(forbid_the_internet) + "\n\nforbid_the_internet()\n"
    )
    for name, text in HOSTS.items():
        if not _installed(name.split("/")[0].removesuffix(".py")):
            (site / name).parent.mkdir(exist_ok=True)
            (site / name).write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    return work


def environment(sandbox: Path) -> dict[str, str]:
    """The process environment of the README's code: no ``KLAVIYO_*`` setting, the
    sandbox's site directory first on the path."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KLAVIYO_")}
    env["PYTHONPATH"] = str(sandbox.parent / "site")
    return env


def run_python(block: Block, sandbox: Path) -> subprocess.CompletedProcess[str]:
    """Run a python block in a fresh interpreter; its lines keep their README numbers."""
    script = sandbox / f"README.md-line-{block.line}.py"
    script.write_text("\n" * block.line + block.text)
    return subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=sandbox,
        env=environment(sandbox),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def run_command(command: str, shell: str, sandbox: Path) -> subprocess.CompletedProcess[str]:
    """Run one command of a shell block: ``./scripts/...`` from the repository, the rest in
    the sandbox, where ``.venv`` is the environment running these tests."""
    venv = sandbox / ".venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.prefix), target_is_directory=True)
    return subprocess.run(
        [shell, "-c", command],
        cwd=ROOT if command.startswith("./scripts/") else sandbox,
        env=environment(sandbox),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def failure(what: str, done: subprocess.CompletedProcess[str]) -> str:
    hint = ""
    if "./scripts/" in what and "tried to reach the internet" in done.stderr:
        # scripts/bootstrap installs again when pyproject.toml changed: pip reaches out.
        hint = "\n(the environment is older than pyproject.toml: ./scripts/test installs first)"
    return (
        f"{what} exited {done.returncode}{hint}\n--- stdout\n{done.stdout[-3000:]}"
        f"\n--- stderr\n{done.stderr[-3000:]}"
    )


BLOCKS = blocks_of(README.read_text(encoding="utf-8"))
PYTHON_BLOCKS = [block for block in BLOCKS if block.tag == PYTHON]
COMMANDS = [
    (block, command)
    for block in BLOCKS
    if block.tag in SHELLS
    for command in commands_of(block.text)
]


RUN = [
    (block, command)
    for block, command in COMMANDS
    if not any(re.search(pattern, command) for pattern in NOT_RUN)
]


# --- the README -------------------------------------------------------------------------------


def test_every_block_is_tagged_as_code_or_as_not_code() -> None:
    assert BLOCKS, "README.md has fenced blocks"
    assert tagging_problems(BLOCKS) == []


def test_readme_opens_with_the_demo_and_the_test_suite() -> None:
    first = BLOCKS[0]
    assert first.tag == "sh"
    assert [command.split()[0] for command in commands_of(first.text)] == [
        "./scripts/demo",
        "./scripts/test",
    ]
    assert README.read_text(encoding="utf-8").index("```") < 200  # the first thing in it


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda block: f"README.md:{block.line}")
def test_python_block_runs_as_written(block: Block, sandbox: Path) -> None:
    done = run_python(block, sandbox)
    assert done.returncode == 0, failure(f"README.md:{block.line}", done)


@pytest.mark.parametrize(
    ("block", "command"),
    RUN,
    ids=[f"README.md:{block.line}:{command.split()[0]}" for block, command in RUN],
)
def test_shell_command_runs_as_written(block: Block, command: str, sandbox: Path) -> None:
    if any(re.search(pattern, command) for pattern in SERVERS):
        serve_until_it_answers(command, SHELLS[block.tag], sandbox)
        return
    done = run_command(command, SHELLS[block.tag], sandbox)
    assert done.returncode == 0, failure(f"README.md:{block.line}: {command}", done)
    assert done.stdout.strip(), f"README.md:{block.line}: {command} printed nothing"


def test_every_command_not_run_is_in_the_readme_and_the_rest_run() -> None:
    for pattern in NOT_RUN:
        assert any(re.search(pattern, command) for _, command in COMMANDS), pattern
    assert RUN[0][1].startswith("./scripts/demo ")  # the README's first command runs
    for pattern in SERVERS:
        assert any(re.search(pattern, command) for _, command in COMMANDS), pattern


def serve_until_it_answers(command: str, shell: str, sandbox: Path) -> None:
    """Start a server command as written, wait until it answers HTTP on its ``--port``, stop
    it."""
    found = re.search(r"--port[ =](\d+)", command)
    port = int(found.group(1)) if found else 8080
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            pytest.skip(f"port {port} is in use on this machine")
    venv = sandbox / ".venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.prefix), target_is_directory=True)
    server = subprocess.Popen(
        [shell, "-c", f"exec {command}"],
        cwd=sandbox,
        env=environment(sandbox),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer = None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                # A legacy request with no key: the gateway answers it in the legacy shape
                # without going anywhere.
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/lists", timeout=2):
                    pass
            except urllib.error.HTTPError as refused:
                answer = refused.code
            except OSError:
                time.sleep(0.2)
            else:
                answer = 200
        assert answer is not None, f"{command} never answered on port {port}"
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "Traceback" not in out, out


# --- the rules themselves ---------------------------------------------------------------------


def test_a_block_without_a_tag_fails_the_rule() -> None:
    markdown = "# x\n\n```\nprint(1)\n```\n\n```pyhton\nx\n```\n\n```text\nout\n```\n"
    blocks = blocks_of(markdown)
    assert [(block.line, block.tag) for block in blocks] == [(3, ""), (7, "pyhton"), (11, "text")]
    problems = tagging_problems(blocks)
    assert len(problems) == 2
    assert problems[0].startswith("README.md:3: a block without a language tag")
    assert problems[1] == "README.md:7: unknown tag 'pyhton'"


def test_fences_are_read_as_commonmark_reads_them() -> None:
    markdown = "- item\n\n  ````python\n  x = '```'\n  ````\n~~~sh\necho\n~~~\n"
    assert blocks_of(markdown) == [Block(3, "python", "x = '```'\n"), Block(6, "sh", "echo\n")]


def test_commands_continue_over_backslashes_and_open_quotes() -> None:
    script = "./a  # it's a comment\necho '{\n  1}' \\\n  | cat\n\n# a note\nb --x\n"
    assert list(commands_of(script)) == [
        "./a  # it's a comment",
        "echo '{\n  1}' \\\n  | cat",
        "b --x",
    ]


def test_a_broken_python_block_fails(sandbox: Path) -> None:
    done = run_python(Block(40, "python", "import klaviyo_legacy_compat\n\nplan\n"), sandbox)
    assert done.returncode == 1
    assert 'README.md-line-40.py", line 43' in done.stderr
    assert "NameError: name 'plan' is not defined" in done.stderr


def test_warnings_are_errors_in_a_python_block(sandbox: Path) -> None:
    done = run_python(Block(1, "python", "import warnings\nwarnings.warn('x')\n"), sandbox)
    assert done.returncode == 1
    assert "UserWarning: x" in done.stderr


@pytest.mark.parametrize(
    "code",
    [
        "import socket\nsocket.create_connection(('example.com', 443), timeout=1)\n",
        "import socket\nsocket.socket().connect(('203.0.113.7', 443))\n",
        "import requests\nrequests.get('https://a.klaviyo.com/api/lists', timeout=1)\n",
    ],
    ids=["name", "address", "requests"],
)
def test_a_block_that_reaches_for_the_internet_is_stopped(code: str, sandbox: Path) -> None:
    done = run_python(Block(1, "python", code), sandbox)
    assert done.returncode == 97
    assert "README code tried to reach the internet" in done.stderr


def test_loopback_stays_open(sandbox: Path) -> None:
    code = (
        "import socket\n"
        "with socket.create_server(('127.0.0.1', 0)) as server:\n"
        "    socket.create_connection(('localhost', server.getsockname()[1])).close()\n"
    )
    done = run_python(Block(1, "python", code), sandbox)
    assert done.returncode == 0, failure("loopback", done)


def test_the_hosts_call_the_hooks_a_block_installs(sandbox: Path) -> None:
    if _installed("uwsgi") or _installed("celery"):
        pytest.skip("the real uwsgi or celery is installed here")
    hooked = (
        "import uwsgi\nfrom celery.signals import worker_shutdown\n"
        "uwsgi.atexit = lambda: print('uwsgi stopped')\n"
        "worker_shutdown.connect(lambda **kwargs: print('celery stopped', sorted(kwargs)))\n"
    )
    done = run_python(Block(1, "python", hooked), sandbox)
    assert done.returncode == 0, failure("hooks", done)
    assert done.stdout.splitlines() == ["celery stopped ['sender', 'signal']", "uwsgi stopped"]
    broken = run_python(Block(1, "python", "import uwsgi\nuwsgi.atexit = 42\n"), sandbox)
    assert broken.returncode == 98
    assert "TypeError: 'int' object is not callable" in broken.stderr


def test_a_failing_command_fails(sandbox: Path) -> None:
    done = run_command(".venv/bin/klaviyo-legacy-compat translate --no-such-option", "sh", sandbox)
    assert done.returncode == 2
