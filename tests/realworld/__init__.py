"""Legacy call shapes as real projects wrote them, each run live against LocalKlaviyo.

``rows.py`` is the table (one row per call shape, each citing the project it came from),
``harness.py`` runs a row and checks the legacy return value and the account's state, and
``test_realworld.py`` runs every row and lists the ones known to fail today.
"""
