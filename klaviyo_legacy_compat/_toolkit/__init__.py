"""The migration toolkit (issue 12): one module per tool, each a subcommand of
``klaviyo-legacy-compat`` (``cli.py``). ``doctor``: the pinned revision's support window, the
effective configuration (keys redacted) and whether Klaviyo is reachable."""

from __future__ import annotations

__all__: list[str] = []
