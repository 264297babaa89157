"""Fixtures for the gateway tests live in gateway_fixtures; pytest finds them here."""

from gateway_fixtures import gateways, upstreams  # noqa: F401 (pytest fixtures)
