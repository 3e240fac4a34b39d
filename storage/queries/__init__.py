"""Every SQL statement of the tree, by table family: small typed functions taking a session.

Callers outside ``storage/`` import these and never build SQL themselves (``tests/test_layers.py``).
"""
