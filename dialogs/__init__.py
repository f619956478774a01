"""Conversation flows such as the guided fault intake (not built yet)."""
