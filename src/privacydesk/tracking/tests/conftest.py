"""The consent tests' fixtures: decisions posted as the banner posts them."""

from privacydesk.consent.tests.conftest import UA, _write_events_in_the_request, decide

__all__ = ["UA", "_write_events_in_the_request", "decide"]
