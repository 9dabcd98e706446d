"""The migration toolkit (issue 12): commands that help a codebase leave the legacy API.

One module per tool, each wired into ``cli.py`` as a subcommand:

- :mod:`~klaviyo_legacy_compat._toolkit.audit`: ``klaviyo-legacy-compat audit PATH...``, a
  static scan for legacy SDK calls, legacy v1/v2 URLs and hard-coded private keys, each
  finding joined to the catalogue row (``_core.catalogue``) it becomes.
"""

from __future__ import annotations

__all__: list[str] = []
