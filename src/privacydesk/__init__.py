"""Privacydesk: the privacy back office where every promise of the privacy policy is kept by code."""

__version__ = "0.1.0"
