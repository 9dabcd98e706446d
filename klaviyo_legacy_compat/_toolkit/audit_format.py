"""What ``klaviyo-legacy-compat audit`` prints: text for people, JSON for scripts, SARIF 2.1.0
for code-scanning UIs (GitHub code scanning and the like read ``results`` by ``ruleId``
and ``physicalLocation``), and its exit status: 0 when nothing is found, 1 when legacy sites
remain (a CI gate), 2 when the scan could not run (a path that does not exist). A file that
cannot be read is reported, in every format, and does not change the status.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Callable, TextIO
from urllib.parse import quote

import attrs

from klaviyo_legacy_compat._toolkit.audit import RULES, Finding, Report, audit
from klaviyo_legacy_compat._version import __version__

__all__ = ["FORMATS", "audit_command", "render_json", "render_sarif", "render_text"]

#: The SARIF schema the output follows (OASIS SARIF 2.1.0).
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: SARIF level of each rule: a key in the code is worse than a call to migrate.
LEVELS: Mapping[str, str] = {"private-key": "error"}


def _message(finding: Finding) -> str:
    parts = [f"{RULES[finding.rule]}: {finding.legacy}"]
    if finding.endpoints:
        parts.append("legacy endpoint: " + "; ".join(finding.endpoints))
    if finding.operations:
        parts.append("becomes: " + "; ".join(finding.operations))
    if finding.way_in:
        parts.append("way in: " + finding.way_in)
    return ". ".join(parts) + "."


def render_text(report: Report) -> str:
    """One block per finding (``path:line:column: rule legacy``, then what it becomes, its
    differences and the way in), the unreadable files, and a count."""
    out: list[str] = []
    for f in report.findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.rule}: {f.legacy}")
        if f.endpoints:
            out.append("    legacy endpoint: " + "; ".join(f.endpoints))
        out += [f"    becomes: {operation}" for operation in f.operations]
        out += [f"    differs: {difference}" for difference in f.differences]
        if f.way_in:
            out.append(f"    way in: {f.way_in}")
    out += [f"{problem.path}: {problem.reason}" for problem in report.problems]
    files = len({f.path for f in report.findings})
    out.append(
        f"{len(report.findings)} legacy site(s) in {files} file(s); {report.files} file(s) "
        f"scanned, {len(report.problems)} unreadable"
    )
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    """``{"findings": [...], "unreadable": [{"path", "reason"}], "files_scanned": n}``."""
    document = {
        "findings": [attrs.asdict(f) for f in report.findings],
        "unreadable": [attrs.asdict(p) for p in report.problems],
        "files_scanned": report.files,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _location(path: str, line: int = 0, column: int = 0) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path)}}
    if line:
        physical["region"] = {"startLine": line, "startColumn": column}
    return {"physicalLocation": physical}


def render_sarif(report: Report) -> str:
    """A SARIF 2.1.0 log of one run: a rule per kind of finding, a result per finding, a
    tool notification per unreadable file."""
    rules = list(RULES)
    driver = {
        "name": "klaviyo-legacy-compat audit",
        "version": __version__,
        "informationUri": "https://pypi.org/project/klaviyo-legacy-compat/",
        "rules": [
            {
                "id": rule,
                "name": rule.title().replace("-", ""),
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": LEVELS.get(rule, "warning")},
            }
            for rule, text in RULES.items()
        ],
    }
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": rules.index(f.rule),
            "level": LEVELS.get(f.rule, "warning"),
            "message": {"text": _message(f)},
            "locations": [_location(f.path, f.line, f.column)],
            "properties": {
                "legacy": f.legacy,
                "operations": list(f.operations),
                "differences": list(f.differences),
                "wayIn": f.way_in,
            },
        }
        for f in report.findings
    ]
    notifications = [
        {"level": "warning", "message": {"text": p.reason}, "locations": [_location(p.path)]}
        for p in report.problems
    ]
    run = {
        "tool": {"driver": driver},
        "results": results,
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


#: ``--format`` → its renderer.
FORMATS: Mapping[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
}


def audit_command(paths: Sequence[str], fmt: str, out: TextIO, err: TextIO) -> int:
    """Scan ``paths`` and print the report in ``fmt``; the exit status (module docstring)."""
    if not paths:
        err.write("klaviyo-legacy-compat audit: give at least one PATH to scan\n")
        return 2
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        err.write(f"klaviyo-legacy-compat audit: no such file or directory: {missing[0]}\n")
        return 2
    report = audit(paths)
    out.write(FORMATS[fmt](report))
    return 1 if report.findings else 0
