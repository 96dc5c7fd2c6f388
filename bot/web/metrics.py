"""``/metrics`` in Prometheus's text format, when ``[web] metrics = true``: commands and
their latency, the outbox backlog per space, each space's state, emails sent and failed.

Labels carry command names, outcomes, platforms and space names only: never a member, an
identity or an address. Each App has its own registry (prometheus_client's
CollectorRegistry), so two Apps in one process (tests) never mix their figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from storage.repos import outbox

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "dynamo_commands",
            "Commands handled, by platform, command and outcome.",
            ["platform", "command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dynamo_command_seconds",
            "Time from a command's arrival to its reply, by command.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.backlog: dict[tuple[str, str], int] = {}
        self.registry.register(_Live(self))
        app.invoker.on_invoked = self.invoked

    def invoked(self, platform: str, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(platform, command, outcome).inc()
        self.latency.labels(command).observe(seconds)

    async def page(self, _request: web.Request) -> web.Response:
        async with self.app.db.read() as conn:
            self.backlog = await outbox.backlog(conn)
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    def routes(self) -> web.RouteTableDef:
        table = web.RouteTableDef()
        table.get("/metrics")(self.page)
        return table


class _Live(Collector):
    """What is read when scraped: the backlog (queried just before), spaces, the mailer."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        backlog = GaugeMetricFamily(
            "dynamo_outbox_backlog",
            "Deliveries waiting, by kind (announce, dm, email, command) and space.",
            labels=["kind", "space"],
        )
        for (kind, space), count in sorted(self.metrics.backlog.items()):
            backlog.add_metric([kind, space], count)
        yield backlog
        states = GaugeMetricFamily(
            "dynamo_space_up",
            "1 when this process delivers to the space now, 0 when it is down or served by "
            "another process (state says which).",
            labels=["space", "state"],
        )
        for space, state in sorted(self.metrics.app.dispatcher.space_states().items()):
            states.add_metric([space, state], 1 if state == "up" else 0)
        yield states
        mailer = self.metrics.app.mailer
        sent = CounterMetricFamily("dynamo_emails_sent", "Emails the SMTP server accepted.")
        failed = CounterMetricFamily(
            "dynamo_emails_failed", "Emails refused for good (bounced addresses)."
        )
        sent.add_metric([], mailer.sent if mailer is not None else 0)
        failed.add_metric([], mailer.failed if mailer is not None else 0)
        yield sent
        yield failed
