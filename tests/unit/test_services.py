"""sla/services.py: the names a report's services are shown by."""

from __future__ import annotations

import pytest

from sla.services import display_name


@pytest.mark.parametrize(("service_id", "shown"), [
    ("voicemail", "Voicemail"),
    ("inbound_pstn", "Inbound PSTN (external numbers)"),
    ("all", "Everything (the whole service)"),
    ("fax_gateway", "fax_gateway"),  # not in the catalogue: shown as given
])
def test_a_service_is_shown_by_its_display_name_or_its_id(service_id: str, shown: str) -> None:
    assert display_name(service_id) == shown
