"""Generators and the runner of Simfra's fuzz tier (tests/e2e/test_fuzz.py).

Every generator is a plain Python generator ``gen(rng, ctx)`` yielding ``Case`` objects built
against the server currently under test (``ctx``), so a restart after a crash re-targets the
remaining cases. Nothing here is collected by pytest (no ``test_`` names).
"""
