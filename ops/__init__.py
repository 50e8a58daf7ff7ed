"""Operator tooling: the mock provider and load/chaos scripts (not in the installed package)."""
