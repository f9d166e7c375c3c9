"""``IMAP_URL``: imaps:// or imap://, user and password URL-encoded, the mailbox as its path."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from privacydesk import conf


def test_imap_url_parts():
    cfg = conf.imap("imaps://verzoeken%40compjoeter.nl:p%40ss%2Fword@mail.example.nl/Privacy")
    assert (cfg.host, cfg.port, cfg.ssl) == ("mail.example.nl", 993, True)
    assert (cfg.user, cfg.password, cfg.mailbox) == (
        "verzoeken@compjoeter.nl",
        "p@ss/word",
        "Privacy",
    )
    plain = conf.imap("imap://u:p@127.0.0.1:1143")
    assert (plain.port, plain.ssl, plain.mailbox) == (1143, False, "INBOX")
    assert not conf.imap(None) and not conf.imap("")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pop3://u:p@host/", "imaps://"),
        ("imaps:///INBOX", "host"),
        ("imaps://u:p@host:99999/", "port"),
        ("imaps://host/INBOX", "user"),
    ],
)
def test_bad_imap_urls_are_refused_at_start(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        conf.imap(url)
