"""Privacydesk: the privacy back office that keeps the privacy policy's promises in code."""

__version__ = "0.1.0"
