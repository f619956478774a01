"""Conversation flows: the guided fault intake, and reading what people type."""
