"""Durable timers, reminders, escalation and the outbox that sends them."""
