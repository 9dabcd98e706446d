"""``klaviyo-legacy-compat audit`` on a large tree. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/audit.py [FILES]

Writes a tree of FILES (10,000) source files in a temporary directory: Python, JavaScript,
TypeScript, PHP, Ruby, Go, Java and shell, 40 lines each, 200 folders; most say nothing of
Klaviyo, some use the new API or Klaviyo's onsite klaviyo.js, and one file in fifty holds a
legacy call or URL. Then scans it twice (the first scan pays for translating the catalogue
rows it finds, once each; the second does not) and prints files per second and the findings.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from klaviyo_legacy_compat._toolkit.audit import audit

#: suffix → (a plain line, a new-API line, a legacy line) of that language.
LINES: dict[str, tuple[str, str, str]] = {
    ".py": (
        "total = sum(item.price for item in basket)  # {n}",
        'requests.get("https://a.klaviyo.com/api/profiles/", headers=HEADERS)',
        'requests.get("https://a.klaviyo.com/api/v2/list/" + list_id + "/members")',
    ),
    ".js": (
        "const total = basket.reduce((a, b) => a + b.price, 0); // {n}",
        "_learnq.push(['track', 'Viewed Product', item]);",
        "fetch(`https://a.klaviyo.com/api/v2/list/${id}/subscribe`, { method: 'POST' });",
    ),
    ".ts": (
        "export const total = (xs: number[]): number => xs.length; // {n}",
        'await fetch("https://a.klaviyo.com/client/subscriptions/?company_id=X");',
        'await fetch("https://a.klaviyo.com/api/v1/metrics?api_key=" + key);',
    ),
    ".php": (
        "$total = array_sum($prices); // {n}",
        '$url = "https://a.klaviyo.com/api/events/";',
        '$url = "https://a.klaviyo.com/api/v1/person/$id";',
    ),
    ".rb": (
        "total = basket.sum(&:price) # {n}",
        'require "klaviyo-api-sdk"',
        'URI("https://a.klaviyo.com/api/v2/list/#{id}/subscribe")',
    ),
    ".go": (
        "total := len(basket) // {n}",
        'url := "https://static.klaviyo.com/onsite/js/klaviyo.js"',
        'url := fmt.Sprintf("https://a.klaviyo.com/api/v1/metric/%s/export", id)',
    ),
    ".java": (
        "int total = basket.size(); // {n}",
        'String url = "https://a.klaviyo.com/api/lists/";',
        'String url = "https://a.klaviyo.com/api/v1/campaigns";',
    ),
    ".sh": (
        'echo "step {n}"',
        "curl -H 'revision: 2026-07-15' https://a.klaviyo.com/api/metrics/",
        "curl https://a.klaviyo.com/api/track?data=$DATA",
    ),
}


def write_tree(root: Path, files: int) -> int:
    """The tree; how many files hold a legacy site."""
    suffixes = list(LINES)
    legacy = 0
    for number in range(files):
        suffix = suffixes[number % len(suffixes)]
        plain, new, old = LINES[suffix]
        lines = [plain.replace("{n}", str(line)) for line in range(40)]
        if number % 10 == 0:
            lines[20] = new
        if number % 50 == 7:
            lines[30] = old
            legacy += 1
        folder = root / f"pkg{number % 200}"
        folder.mkdir(exist_ok=True)
        (folder / f"module{number}{suffix}").write_text("\n".join(lines) + "\n", "utf-8")
    return legacy


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        legacy = write_tree(Path(folder), files)
        print(f"tree: {files} files, {legacy} with a legacy site")
        for name in ("first scan", "second scan"):
            start = time.perf_counter()
            report = audit([folder])
            took = time.perf_counter() - start
            print(
                f"{name}: {report.files} files in {took:.2f} s, {report.files / took:,.0f} files/s,"
                f" {len(report.findings)} findings, {len(report.problems)} unreadable"
            )


if __name__ == "__main__":
    main()
