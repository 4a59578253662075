"""The desk's HTTP API (thin routes over the services)."""

from desk.api.app import create_api, error_response

__all__ = ["create_api", "error_response"]
