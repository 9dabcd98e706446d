"""The migration toolkit (issue 12): one module per ``klaviyo-legacy-compat`` subcommand that
helps a codebase leave the retired packages behind. ``migrate`` rewrites the legacy imports
to the shims (:mod:`._toolkit.migrate`)."""

__all__: list[str] = []
