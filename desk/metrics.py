"""Prometheus metrics the desk exposes at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["HTTP_LATENCY", "HTTP_REQUESTS", "TICKETS_CREATED"]

HTTP_REQUESTS = Counter(
    "frontdesk_http_requests_total",
    "HTTP requests by method, route and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "frontdesk_http_request_seconds",
    "HTTP request latency by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
TICKETS_CREATED = Counter(
    "frontdesk_tickets_created_total", "Tickets created by type and channel.", ["type", "channel"]
)
