import json

import pytest

from privacydesk.consent import services

UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 "
    "Safari/537.36"
)


@pytest.fixture(autouse=True)
def _write_events_in_the_request(settings):
    settings.TRACKING_FLUSH_MS = 0
    settings.TRACKING_CONSENT_CACHE_MS = 0
    settings.EMBED_ORIGINS = ("https://www.example.nl",)


@pytest.fixture
def decide(client, db):
    """``decide("accept_all", id=...)`` posts a decision as the banner does; the response."""

    def post(action, *, id="", analytics=False, tracking=False, gpc=False, headers=None, **extra):
        body = {
            "action": action,
            "analytics": analytics,
            "tracking": tracking,
            "version": services.banner_version(),
            "lang": "nl",
            "gpc": gpc,
            "id": id,
            **extra,
        }
        return client.post(
            "/consent/decide/",
            json.dumps(body),
            content_type="text/plain;charset=UTF-8",
            headers={"User-Agent": UA, **(headers or {})},
        )

    return post
