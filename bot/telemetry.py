"""OpenTelemetry traces and metrics for one app; /metrics in Prometheus format; Azure Monitor when asked for.

Metrics: faultline_turns_total{route}, faultline_turn_errors_total, faultline_sends_total{outcome},
faultline_send_retries_total, faultline_timer_lag_seconds (histogram, fed by the scheduler) and
faultline_open_tickets{priority} (read from the database at each scrape).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, generate_latest

log = logging.getLogger("faultline.telemetry")


class Telemetry:
    """The app's meters and tracer; nothing global, so several apps (or tests) never collide."""

    def __init__(self, service_name: str = "faultline", azure_connection_string: str = "") -> None:
        resource = Resource.create({"service.name": service_name})
        self.registry = CollectorRegistry()
        readers: list[MetricReader] = [PrometheusMetricReader(disable_target_info=True, registry=self.registry)]
        self.tracing = TracerProvider(resource=resource)
        if azure_connection_string:
            readers.append(self._azure(azure_connection_string))
        self.metering = MeterProvider(resource=resource, metric_readers=readers)
        meter = self.metering.get_meter("faultline")
        self.turns = meter.create_counter("faultline_turns", description="Activities handled, by route")
        self.turn_errors = meter.create_counter("faultline_turn_errors", description="Turns that failed")
        self.sends = meter.create_counter("faultline_sends", description="Calls to the Bot Connector, by outcome")
        self.send_retries = meter.create_counter("faultline_send_retries", description="Retried Bot Connector calls")
        self.timer_lag = meter.create_histogram("faultline_timer_lag_seconds", unit="s",
                                                description="From a timer's due time to its send")
        self._open: Mapping[str, int] = {}
        meter.create_observable_gauge("faultline_open_tickets", callbacks=[self._observe_open],
                                      description="Tickets not yet resolved, by priority")
        self.tracer = self.tracing.get_tracer("faultline")

    def _azure(self, connection_string: str) -> MetricReader:
        try:
            from azure.monitor.opentelemetry.exporter import (
                AzureMonitorMetricExporter,
                AzureMonitorTraceExporter,
            )
        except ImportError as exc:
            raise RuntimeError("APPLICATIONINSIGHTS_CONNECTION_STRING is set but the `azure` extra is not "
                               "installed: pip install 'faultline[azure]'") from exc
        self.tracing.add_span_processor(BatchSpanProcessor(AzureMonitorTraceExporter(
            connection_string=connection_string)))
        return PeriodicExportingMetricReader(AzureMonitorMetricExporter(connection_string=connection_string))

    def _observe_open(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(count, {"priority": priority}) for priority, count in self._open.items()]

    def prometheus(self, open_tickets: Mapping[str, int]) -> bytes:
        """The /metrics body, with the open-ticket counts just read."""
        self._open = dict(open_tickets)
        return bytes(generate_latest(self.registry))

    def send_outcome(self, outcome: str, attempt: int) -> None:
        self.sends.add(1, {"outcome": outcome})
        if attempt > 1:
            self.send_retries.add(1)

    def shutdown(self) -> None:
        self.metering.shutdown()
        self.tracing.shutdown()
