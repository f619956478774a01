"""Adaptive Card builders: pure functions from view models to card JSON (not built yet)."""
