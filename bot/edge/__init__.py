"""The Teams edge: inbound checks and authentication, the wire format, the Bot Connector client, signed links.

What an inbound HTTP request must look like before any of it is used:

`inbound.parse_activity` turns the raw body into a validated `wire.Activity` (or raises `Malformed`): nesting
depth is bounded before the JSON is parsed, every field the service reads is type-checked, ids are opaque
bounded strings, free text is cleaned, and `serviceUrl` must be https (http only on loopback).
"""
