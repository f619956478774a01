"""OpenTelemetry traces and metrics for one app; /metrics in Prometheus format; Azure Monitor when asked for.

Metrics: faultline_turns_total{route}, faultline_turn_errors_total, faultline_sends_total{outcome},
faultline_send_retries_total, faultline_timer_lag_seconds (histogram, fed by the scheduler) and
faultline_open_tickets{priority} (read from the database at each scrape).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from opentelemetry import trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, generate_latest

log = logging.getLogger("faultline.telemetry")


class Tally:
    """A monotonic count per label value, observed by an OpenTelemetry observable counter."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, amount: int = 1, label: str = "") -> None:
        self.counts[label] = self.counts.get(label, 0) + amount

    def observer(self, label_name: str | None) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(count, {label_name: label} if label_name else {})
                    for label, count in list(self.counts.items())]

        return observe


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
        # Hot-path counts are plain integers, read by OpenTelemetry when it collects: a turn pays an increment,
        # not an SDK call (measured: the SDK's counter cost about 0.1 ms a turn).
        self.turns = Tally()
        self.turn_errors = Tally()
        self.sends = Tally()
        self.send_retries = Tally()
        for name, tally, label, description in (
                ("faultline_turns", self.turns, "route", "Activities handled, by route"),
                ("faultline_turn_errors", self.turn_errors, None, "Turns that failed"),
                ("faultline_sends", self.sends, "outcome", "Calls to the Bot Connector, by outcome"),
                ("faultline_send_retries", self.send_retries, None, "Retried Bot Connector calls")):
            meter.create_observable_counter(name, callbacks=[tally.observer(label)], description=description)
        self.timer_lag = meter.create_histogram("faultline_timer_lag_seconds", unit="s",
                                                description="From a timer's due time to its send")
        self._open: Mapping[str, int] = {}
        meter.create_observable_gauge("faultline_open_tickets", callbacks=[self._observe_open],
                                      description="Tickets not yet resolved, by priority")
        # Spans cost a little on every turn; they are made only when something will export them.
        self.tracer = self.tracing.get_tracer("faultline") if azure_connection_string else trace.NoOpTracer()

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
        self.sends.add(1, outcome)
        if attempt > 1:
            self.send_retries.add(1)

    def shutdown(self) -> None:
        self.metering.shutdown()
        self.tracing.shutdown()
