"""Query modules by table family: small typed functions taking a session, returning rows or frozen records.

Callers outside ``storage/`` import these and never build SQL themselves (``tests/test_layers.py``).
"""
