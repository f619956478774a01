"""Bounds on what the wire may carry; the database columns are sized from the same numbers (a test checks)."""

from __future__ import annotations

MAX_ID = 512
"""Activity, conversation, user (MRI), team and channel ids: Teams ids run to ~150 characters; generous room."""
MAX_GUID = 64
"""Tenant ids and Entra object ids (GUIDs, 36 characters)."""
MAX_NAME = 256
"""Display names: Microsoft Entra allows 256 characters."""
MAX_URL = 512
"""serviceUrl: Teams' are ~50 characters."""
MAX_TOKEN = 64
"""Short words: type, channelId, conversationType, locale, time zone, invoke name, verbs."""
MAX_TEXT = 100_000
"""Message text (Teams caps a message near 28 KB); the 256 KB body bound comes first in practice."""
MAX_ITEMS = 256
"""Entities, members added or removed."""
MAX_DEPTH = 32
"""JSON nesting: a Teams activity nests about 5 deep, an Adaptive Card submission a few more."""
