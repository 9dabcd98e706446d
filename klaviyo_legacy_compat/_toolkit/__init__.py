"""The migration toolkit (issue 12): the tools that help code leave the shim. One module per
tool, each wired into ``cli.py`` as a subcommand; their pure parts take plans and return text.

- :mod:`.eject`: native code for the new API (``requests`` or the ``klaviyo-api`` SDK),
  generated from the plan of a legacy call.
"""

from __future__ import annotations

__all__: list[str] = []
