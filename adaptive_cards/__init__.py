"""Adaptive Card builders: pure functions from view models to card JSON (Adaptive Cards 1.5)."""
