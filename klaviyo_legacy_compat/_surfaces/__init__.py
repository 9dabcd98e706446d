"""What the public ways in share: ``CompatClient`` (settings, credentials and the legacy
methods), ``execute`` (the one path every call takes: live, dry-run or bulk capture), the
default client behind the module functions, ``install()``'s import hook, ``respond`` (one raw
legacy HTTP request, one legacy answer) and the ``spool`` command. The public surfaces
themselves keep their import paths at the top of the package: ``legacy/``, ``sdk/``,
``legacy_http``, ``gateway/``, ``cli``, ``testing/``.
"""

__all__: list[str] = []
