"""The migration toolkit (issue 12): commands that help a codebase leave the legacy API.

One module per tool, each wired into ``cli.py`` as a subcommand of ``klaviyo-legacy-compat``:

- :mod:`~klaviyo_legacy_compat._toolkit.audit` (``audit PATH...``): a static scan for legacy
  SDK calls, legacy v1/v2 URLs and hard-coded private keys, each finding joined to the
  catalogue record (``_core.catalogue``) it becomes; :mod:`.audit_format` prints it as text,
  JSON or SARIF.
- :mod:`~klaviyo_legacy_compat._toolkit.runtime` (``audit --runtime LOG``): the runtime audit
  log (``audit_log=PATH``) summarised by call site.
- :mod:`~klaviyo_legacy_compat._toolkit.migrate` (``migrate PATH...``): the import codemod.
- :mod:`~klaviyo_legacy_compat._toolkit.eject` (``eject``): native code for the new API,
  generated from a legacy call's plan; :mod:`.site` (``eject --site FILE:LINE``) plans the
  call at a site ``audit`` found, with its own arguments.
- :mod:`~klaviyo_legacy_compat._toolkit.doctor` (``doctor``): the pinned revision's support
  window, the effective configuration (keys redacted) and whether Klaviyo is reachable.
"""

from __future__ import annotations

__all__: list[str] = []
