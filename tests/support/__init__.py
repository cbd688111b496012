"""Test support: receivers, stand-ins, process runners and builders shared by the test layers.

Importable as `support.<module>` from any test (pytest's `pythonpath = ["tests"]`), without
path hacks. Naming: a real server a test talks to is a `*Receiver`/`*Server`; a peer that
misbehaves on purpose is a `*Peer` (e.g. `BlackHolePeer`); a function that builds test data
is `make_*`.
"""
