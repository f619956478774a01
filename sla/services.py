"""The service ids a report can name, with their display names."""

from __future__ import annotations

SERVICES: dict[str, str] = {
    "inbound_calls": "Inbound calls",
    "outbound_calls": "Outbound calls",
    "internal_calls": "Internal calls",
    "inbound_pstn": "Inbound PSTN (external numbers)",
    "outbound_pstn": "Outbound PSTN (external numbers)",
    "voicemail": "Voicemail",
    "auto_attendant": "Auto attendant",
    "call_queues": "Call queues / hunt groups",
    "call_recording": "Call recording",
    "contact_centre": "Contact centre",
    "crm_integration": "CRM integration",
    "click2dial": "Click2Dial",
    "call_recognition": "Caller recognition (CTI)",
    "messaging": "Messaging (mail delivery and mailbox access)",
    "elin": "Emergency calling (ELIN)",
    "directory_sync": "Directory synchronisation",
    "sso": "Single sign-on",
    "admin_portal": "Admin / self-service portal",
    "federation": "Federation",
    "teams_client": "Microsoft Teams client",
    "pbx_connector": "PBX connector",
    "sba": "Survivable branch appliance (SBA)",
    "sip_trunk": "SIP trunk",
    "handset": "Desk phone / handset",
    "cordless_handsets": "Mobile / cordless handsets",
    "capacity": "Capacity (concurrent calls / channels)",
    "voice_quality": "Voice quality",
    "latency": "Latency / lag",
    "resilience": "Resilience (backup path or platform)",
    "media_server": "Media server",
    "certificate": "Certificate",
    "firmware": "Firmware",
    "all": "Everything (the whole service)",
}


def display_name(service_id: str) -> str:
    """The display name of a service id (the id itself if unknown)."""
    return SERVICES.get(service_id, service_id)
