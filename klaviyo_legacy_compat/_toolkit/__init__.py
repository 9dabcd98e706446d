"""The migration toolkit (issue 12): one module per tool, wired into ``cli.py`` as
subcommands; the parts that only read and report are pure.

- ``runtime``: the report by call site of a runtime audit log (``audit_log=PATH``,
  ``klaviyo-legacy-compat audit --runtime LOG``).
"""

__all__: list[str] = []
