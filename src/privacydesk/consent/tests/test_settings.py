"""PRIVACYDESK_EMBED_ORIGINS: origins only, a bad value stops start-up naming it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from privacydesk import conf


def test_origins_are_read(monkeypatch):
    monkeypatch.setenv("PRIVACYDESK_EMBED_ORIGINS", "https://www.Example.nl, http://localhost:8080")
    assert conf.embed_origins() == ("https://www.example.nl", "http://localhost:8080")
    monkeypatch.delenv("PRIVACYDESK_EMBED_ORIGINS")
    assert conf.embed_origins() == ()


@pytest.mark.parametrize("bad", ["www.example.nl", "https://www.example.nl/path", "*", "ftp://x"])
def test_a_bad_origin_stops_start_up(monkeypatch, bad):
    monkeypatch.setenv("PRIVACYDESK_EMBED_ORIGINS", bad)
    with pytest.raises(ImproperlyConfigured, match="PRIVACYDESK_EMBED_ORIGINS"):
        conf.embed_origins()
