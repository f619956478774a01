"""Faultline's SLA reports: pure figures from tickets' audit events, measured by the SLA engine (sla/).

No I/O: the bot hands over tickets (``ReportTicket``) and gets a ``SlaReport`` back, or its CSV.
"""

from reports.availability import Availability, AvailabilityReport
from reports.engine import SlaReport, build_report
from reports.model import (
    EXCLUDED_EVENT,
    Period,
    ReportEvent,
    ReportTicket,
    date_range_period,
    from_store,
    month_period,
)

__all__ = [
    "EXCLUDED_EVENT",
    "Availability",
    "AvailabilityReport",
    "Period",
    "ReportEvent",
    "ReportTicket",
    "SlaReport",
    "build_report",
    "date_range_period",
    "from_store",
    "month_period",
]
