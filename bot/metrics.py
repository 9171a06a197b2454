"""Prometheus metrics of this process: commands by name and outcome, their latency, digests by state, refused HTTP requests."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
COMMANDS = Counter("kpibot_commands_total", "Slash commands answered, by command and outcome.",
                   ["command", "outcome"], registry=REGISTRY)
LATENCY = Histogram("kpibot_command_seconds", "Time to answer a slash command.", ["command"], registry=REGISTRY,
                    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0))
DIGESTS = Counter("kpibot_digests_total", "Digest deliveries by kind and final state.", ["kind", "state"],
                  registry=REGISTRY)
HTTP_REFUSED = Counter("kpibot_http_refused_total",
                       "Requests and connections the HTTP server refused, by reason (busy, framing, malformed, "
                       "too_large).", ["reason"], registry=REGISTRY)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_command(command: str, outcome: str, seconds: float) -> None:
    COMMANDS.labels(command=command, outcome=outcome).inc()
    LATENCY.labels(command=command).observe(seconds)


def observe_digest(kind: str, state: str) -> None:
    DIGESTS.labels(kind=kind, state=state).inc()


def observe_http_refusal(reason: str) -> None:
    HTTP_REFUSED.labels(reason=reason).inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)
