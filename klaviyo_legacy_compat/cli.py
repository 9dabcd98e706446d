"""``klaviyo-legacy-compat``: translate legacy HTTP requests, serve them (contract §4), or
look after a bulk-mode spool (``spool``, ``_spool_command``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, Optional, TextIO
from urllib.parse import urlencode

from ._core.errors import KlaviyoCompatError
from ._core.wire import LegacyHTTPRequest, parse_legacy_request
from ._surfaces.client import CompatClient
from .gateway import GatewaySettings, pooled_session, serve

__all__ = ["audit_runtime_main", "main", "request_from_json"]


def request_from_json(item: Any) -> LegacyHTTPRequest:
    """``{"method", "url", "headers", "body"}`` (or ``"json"``/``"form"`` for ``body``)."""
    if not isinstance(item, dict):
        raise ValueError("each request must be a JSON object")
    for key in ("method", "url"):
        if not isinstance(item.get(key), str):
            raise ValueError(f"{key}: required, a string")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError("headers: must be an object")
    headers = {str(k): str(v) for k, v in headers.items()}
    body: bytes = b""
    if item.get("body") is not None:
        if not isinstance(item["body"], str):
            raise ValueError("body: must be the raw body as a string")
        body = item["body"].encode("utf-8")
    elif item.get("json") is not None:
        body = json.dumps(item["json"]).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    elif item.get("form") is not None:
        if not isinstance(item["form"], dict):
            raise ValueError("form: must be an object of fields")
        body = urlencode(item["form"], doseq=True).encode("utf-8")
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return LegacyHTTPRequest(item["method"], item["url"], headers, body)


def _items(text: str) -> Iterator[tuple[int, Any]]:
    """One JSON object (any layout), or JSON Lines."""
    stripped = text.strip()
    if not stripped:
        return
    try:
        yield 1, json.loads(stripped)
        return
    except (ValueError, RecursionError):
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                yield number, exc
            except RecursionError:
                # Python's JSON reader recurses once per level, up to the recursion limit.
                yield number, ValueError("nested too deeply to read")


def translate(
    source: TextIO, out: TextIO, err: TextIO, client: Optional[CompatClient] = None
) -> int:
    """Print one plan per request; 2 if any request could not be translated."""
    client = client or CompatClient()
    status = 0
    for number, item in _items(source.read()):
        try:
            if isinstance(item, ValueError):
                raise ValueError(f"not JSON: {item}")
            strict = client.settings().options.strict
            request = parse_legacy_request(request_from_json(item), strict=strict)
            plan = client.run(request, dry_run=True)
        except (KlaviyoCompatError, ValueError, TypeError, RecursionError) as exc:
            err.write(f"klaviyo-legacy-compat translate: line {number}: {exc}\n")
            status = 2
            continue
        out.write(json.dumps(plan.to_dict(), ensure_ascii=False) + "\n")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klaviyo-legacy-compat",
        description="Translate Klaviyo v1/v2 legacy API calls into the new JSON:API requests.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    translate_cmd = commands.add_parser(
        "translate",
        help="print the new-API requests (dry-run plans) for legacy HTTP requests",
        description=(
            "Read one legacy HTTP request as a JSON object, or several as JSON Lines: "
            '{"method": "POST", "url": "https://a.klaviyo.com/api/v2/list/XyZ/subscribe", '
            '"headers": {...}, "body": "<raw body>"} ("json" or "form" may stand in for '
            '"body"). Print one plan per request as JSON, one per line. Nothing is sent. '
            "Exit 2, with a one-line reason on standard error, for input that cannot be "
            "translated."
        ),
    )
    translate_cmd.add_argument(
        "file", nargs="?", default="-", help="a file of requests, or - for standard input"
    )
    _leniency_arguments(translate_cmd)
    serve_cmd = commands.add_parser(
        "serve",
        help="run the legacy HTTP gateway",
        description=(
            "Answer legacy v1/v2 requests (point a legacy client's base URL at "
            "http://HOST:PORT/api) by translating them to the new API. Only requests that "
            "carry their own key are forwarded. Binds 127.0.0.1 unless told otherwise. Runs on "
            "waitress (pip install klaviyo-legacy-compat[gateway]), else on the stdlib server "
            "with a warning. Logs one line per request and per upstream failure on standard "
            "error. klaviyo_legacy_compat.gateway.make_app() runs it under any WSGI server."
        ),
    )
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    defaults = GatewaySettings()
    for name, kind, unit, text in _SERVE_SETTINGS:
        serve_cmd.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=getattr(defaults, name),
            metavar=unit,
            help=f"{text} ({getattr(defaults, name)})",
        )
    _leniency_arguments(serve_cmd)
    _spool_command(commands)
    _doctor_command(commands)
    _audit_command(commands)
    _migrate_command(commands)
    _eject_command(commands)
    return parser


#: The options of `serve`: the fields of GatewaySettings, with their help.
_SERVE_SETTINGS: tuple[tuple[str, type, str, str], ...] = (
    ("threads", int, "N", "requests served at once; the upstream pool is sized to match"),
    ("backlog", int, "N", "connections queued before they are accepted (at least 128)"),
    ("connection_limit", int, "N", "open connections at once"),
    ("idle_timeout", int, "SECONDS", "close a connection idle this long"),
    ("max_body_size", int, "BYTES", "a larger body is answered 413"),
    ("max_uri_size", int, "BYTES", "a longer URI is answered 414"),
    ("max_header_size", int, "BYTES", "larger headers are answered 431"),
    ("deadline", float, "SECONDS", "answer every request within this time (503/504 past it)"),
    ("retry_window", float, "SECONDS", "recognise a client's retry of a write this long; 0: off"),
    ("retry_window_size", int, "N", "recent writes remembered for that"),
)


def _spool_command(commands: Any) -> None:
    spool_cmd = commands.add_parser(
        "spool",
        help="list, export, discard or drain the items a bulk-mode spool holds",
        description=(
            "What a bulk-mode spool (spool_path) holds, by account label (an opaque digest of "
            "the private key, the only trace of it in the file) and kind: pending and failed "
            "(rejected by Klaviyo) events and profiles, the oldest and the newest. Then, for "
            "items whose key will never be configured again: --export, --discard-account or "
            "--drain. The spool's lock is taken as any owner takes it: a spool another "
            "process uses is refused, as is a missing, corrupt or foreign file (nothing is "
            "ever created). Exit 0 when done, 1 when a drain left items undelivered, 2 when "
            "refused."
        ),
    )
    spool_cmd.add_argument("path", metavar="PATH", help="the spool file")
    action = spool_cmd.add_mutually_exclusive_group()
    action.add_argument(
        "--export",
        action="store_true",
        help="print every item as JSON Lines: account label, kind, state (pending or failed), "
        "when it was added, Klaviyo's reason for a failed one, payload; never a key",
    )
    action.add_argument(
        "--discard-account",
        metavar="LABEL",
        help="delete every item of account LABEL, after saying how many (an unknown label is "
        "refused)",
    )
    action.add_argument(
        "--drain",
        action="store_true",
        help="send the pending items of the account whose private key is given, through bulk "
        "mode's sender (paced, retried); what Klaviyo rejects is reported and kept as failed",
    )
    spool_cmd.add_argument(
        "--private-key",
        metavar="KEY",
        help="the key for --drain; KLAVIYO_PRIVATE_API_KEY is read otherwise, and is safer (a "
        "command line can be seen by other users of the machine). Its account label must be "
        "one the spool holds",
    )


def _doctor_command(commands: Any) -> None:
    doctor_cmd = commands.add_parser(
        "doctor",
        help="check the revision's support window, the configuration and that Klaviyo answers",
        description=(
            "Print the package version, the configured revision and its support window "
            "(stable 1 year after release, deprecated for 1 more, then retired), every option "
            "as the environment sets it and where it came from (the private key redacted), and "
            "whether Klaviyo answers one keyless GET at the base URL. Exit 0 when all is well, "
            "1 when something needs attention (deprecated or retired revision, unreachable, no "
            "private key), 2 when the configuration is refused."
        ),
    )
    doctor_cmd.add_argument(
        "--no-network", action="store_true", help="do not check that Klaviyo is reachable"
    )
    doctor_cmd.add_argument("--format", choices=("text", "json"), default="text")


def _audit_command(commands: Any) -> None:
    audit_cmd = commands.add_parser(
        "audit",
        help="find legacy Klaviyo calls, URLs and private keys in a codebase",
        description=(
            "Scan files and directories (recursively; .git, node_modules, virtualenvs and "
            "binary files skipped): Python by its syntax tree (imports of klaviyo, klaviyo_sdk "
            "and swagger_client and the calls made through them, legacy URLs in strings), "
            "JavaScript/TypeScript, PHP, Ruby, Go, Java and shell as text without comments "
            "(legacy v1/v2 URLs, the retired clients' imports). Hard-coded private keys are "
            "flagged, never printed whole. Each finding names the new operations it becomes, "
            "its behaviour differences (MIGRATION.md) and the way in. Nothing is run or sent. "
            "Exit 0 when nothing is found, 1 when legacy sites remain, 2 on error; files that "
            "cannot be read are reported and do not stop the scan. --runtime LOG instead "
            "summarises a runtime audit log (audit_log=PATH, or KLAVIYO_LEGACY_COMPAT_AUDIT_LOG) "
            "by call site: calls, legacy methods, new-API operations, outcomes, first and last "
            "time (text or json; a malformed line is counted and skipped; exit 0, or 2 when the "
            "log cannot be read)."
        ),
    )
    audit_cmd.add_argument("paths", nargs="*", metavar="PATH", help="files or directories")
    audit_cmd.add_argument("--runtime", metavar="LOG", help="an audit_log file to summarise")
    audit_cmd.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="text (default), json, or sarif (SARIF 2.1.0, for code-scanning UIs)",
    )


def audit_runtime_main(log_path: str, format: str) -> int:
    """``audit --runtime LOG``: the report of the log at ``log_path`` by call site, as
    ``format`` (``text`` or ``json``) on standard output; 2 when it cannot be read."""
    from ._toolkit.runtime import render_json, render_text, summarise

    try:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            report = summarise(handle)
    except OSError as exc:
        sys.stderr.write(f"klaviyo-legacy-compat audit: {exc.strerror}: {log_path}\n")
        return 2
    sys.stdout.write(render_json(report) if format == "json" else render_text(report))
    return 0


def _migrate_command(commands: Any) -> None:
    migrate_cmd = commands.add_parser(
        "migrate",
        help="rewrite the imports of the retired packages to this library's modules",
        description=(
            "Rewrite the imports of klaviyo, klaviyo_sdk and swagger_client (and their "
            "modules) in the Python files named, and under the directories named (.git, .venv, "
            "venv, node_modules and __pycache__ are skipped) to this library's modules, so the "
            "code runs without the retired packages: import klaviyo becomes import "
            "klaviyo_legacy_compat as klaviyo, klaviyo.exceptions klaviyo_legacy_compat."
            "exceptions, and every other module the one install() maps it to (klaviyo_sdk: "
            "klaviyo_legacy_compat.sdk). Nothing else changes, byte for "
            "byte, and a second run changes nothing. Prints a unified diff per file; --write "
            "rewrites the files instead. Exit 0 when there is nothing to change (or --write "
            "rewrote everything), 1 when changes are proposed or a legacy import no module "
            "stands in for is left (named on standard error), 2 when a path is missing or a "
            "file cannot be read or parsed (it is left unchanged)."
        ),
    )
    migrate_cmd.add_argument("paths", nargs="+", metavar="PATH", help="a file or directory")
    migrate_cmd.add_argument(
        "--write", action="store_true", help="rewrite the files (atomically) instead of a diff"
    )


def _eject_command(commands: Any) -> None:
    eject_cmd = commands.add_parser(
        "eject",
        help="print native new-API code (requests or the klaviyo-api SDK) for a legacy call",
        description=(
            "Read one legacy call, either a call site audit found (--site FILE:LINE[:COLUMN], "
            "as audit prints it: a klaviyo, klaviyo-sdk or swagger_client method, or a legacy "
            "URL sent with requests, planned with its own arguments where they are literals, "
            "else the catalogue's example stands in and the code says so) or one legacy HTTP "
            "request in the form `translate` reads (a file, standard input or --call), and "
            "print a Python script doing natively what the shim does for it, generated from "
            "the same plan: the requests, the lookups a later request depends on, and the "
            "behaviour differences as comments. The script reads its key from "
            "KLAVIYO_PRIVATE_API_KEY (the call's own key is never printed) and its host from "
            "KLAVIYO_BASE_URL. Exit 2, with a one-line reason, for input that cannot be "
            "translated."
        ),
    )
    eject_cmd.add_argument(
        "file", nargs="?", default="-", help="a file holding the request, or - for standard input"
    )
    eject_cmd.add_argument("--call", metavar="JSON", help="the request itself, as JSON")
    eject_cmd.add_argument(
        "--site",
        metavar="FILE:LINE[:COLUMN]",
        help="a legacy call site, as audit names it (the column when a line has several)",
    )
    eject_cmd.add_argument(
        "--style",
        choices=("requests", "sdk"),
        default="requests",
        help="plain requests (default), or the official klaviyo-api SDK",
    )
    _leniency_arguments(eject_cmd)


def _eject(args: argparse.Namespace) -> int:
    """The `eject` command: plan the call as `translate` does, then write the plan as code."""
    from ._toolkit.eject import eject_code
    from ._toolkit.site import STANDIN_KEY, parse_site, plan_site

    try:
        if args.site is not None:
            if args.call is not None or args.file != "-":
                raise ValueError("--site takes no request: give the site, or the request")
            site = plan_site(parse_site(args.site), _options(args))
            sys.stdout.write(
                eject_code(
                    site.plan, legacy=site.finding.legacy, style=args.style, notes=site.notes
                )
            )
            return 0
        if args.call is not None:
            text = args.call
        elif args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
        items = list(_items(text))
        if len(items) != 1:
            raise ValueError(f"give exactly one legacy request, got {len(items)}")
        item = items[0][1]
        if isinstance(item, ValueError):
            raise ValueError(f"not JSON: {item}")
        # The native code is server-side code with a private key of its own: plan the call
        # as a client holding one does (a stand-in, never printed: the code reads the key
        # from the environment).
        client = CompatClient(private_key=STANDIN_KEY, environment_keys=False, **_options(args))
        legacy = request_from_json(item)
        strict = client.settings().options.strict
        plan = client.run(parse_legacy_request(legacy, strict=strict), dry_run=True)
        sys.stdout.write(
            eject_code(plan, legacy=f"{legacy.method} {legacy.path}", style=args.style)
        )
    except OSError as exc:
        named = exc.filename or args.file
        sys.stderr.write(f"klaviyo-legacy-compat eject: {exc.strerror}: {named}\n")
        return 2
    except (KlaviyoCompatError, ValueError, TypeError, RecursionError) as exc:
        sys.stderr.write(f"klaviyo-legacy-compat eject: {exc}\n")
        return 2
    return 0


def _leniency_arguments(command: argparse.ArgumentParser) -> None:
    """The leniency options (MIGRATION.md, "Leniency"); the environment sets them too."""
    command.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="refuse loose legacy input instead of normalising it (KLAVIYO_LEGACY_COMPAT_STRICT)",
    )
    command.add_argument(
        "--default-phone-region",
        metavar="REGION",
        help="read national phone numbers of this region, e.g. US "
        "(KLAVIYO_LEGACY_COMPAT_DEFAULT_PHONE_REGION)",
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {"strict": args.strict, "default_phone_region": args.default_phone_region}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command-line entry point."""
    args = _parser().parse_args(argv)
    if args.command == "translate":
        try:
            client = CompatClient(**_options(args))
            client.settings()
        except KlaviyoCompatError as exc:
            sys.stderr.write(f"klaviyo-legacy-compat translate: {exc}\n")
            return 2
        if args.file == "-":
            return translate(sys.stdin, sys.stdout, sys.stderr, client)
        try:
            with open(args.file, encoding="utf-8") as handle:
                return translate(handle, sys.stdout, sys.stderr, client)
        except OSError as exc:
            sys.stderr.write(f"klaviyo-legacy-compat translate: {exc.strerror}: {args.file}\n")
            return 2
    if args.command == "serve":
        settings = {name: getattr(args, name) for name, *_ in _SERVE_SETTINGS}
        try:
            client = CompatClient(
                environment_keys=False,
                session=pooled_session(settings["threads"] + 4),
                **_options(args),
            )
            server = serve(args.host, args.port, client, **settings)
        except KlaviyoCompatError as exc:
            sys.stderr.write(f"klaviyo-legacy-compat serve: {exc}\n")
            return 2
        host, port = str(server.server_address[0]), int(server.server_address[1])
        sys.stderr.write(
            f"klaviyo-legacy-compat gateway on http://{host}:{port}/api ({server.kind})\n"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            client.close()
        return 0
    if args.command == "spool":
        from ._surfaces.spool_command import spool_command

        return spool_command(
            args.path,
            export=args.export,
            discard_account=args.discard_account,
            drain=args.drain,
            private_key=args.private_key,
            environ=os.environ,
            out=sys.stdout,
            err=sys.stderr,
        )
    if args.command == "doctor":
        from ._toolkit.doctor import doctor

        return doctor(
            {},
            os.environ,
            network=not args.no_network,
            output=args.format,
            out=sys.stdout,
            err=sys.stderr,
        )
    if args.command == "audit":
        if args.runtime is not None:
            if args.format == "sarif" or args.paths:
                sys.stderr.write(
                    "klaviyo-legacy-compat audit: --runtime LOG takes no PATH, and text or json\n"
                )
                return 2
            return audit_runtime_main(args.runtime, args.format)
        from ._toolkit.audit_format import audit_command

        return audit_command(args.paths, args.format, sys.stdout, sys.stderr)
    if args.command == "migrate":
        from ._toolkit.migrate import migrate_paths

        return migrate_paths(args.paths, write=args.write, out=sys.stdout, err=sys.stderr)
    if args.command == "eject":
        return _eject(args)
    return 2  # pragma: no cover - argparse requires a known command
