"""Letters go out through the one sender (spine.mail) and are never lost: an answer the mail
server did not take (refused, or the server down) leaves the request flagged, on the queue
and its page, and the worker sends it again. Over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from privacydesk.rights import letters, services
from privacydesk.rights.models import Request
from privacydesk.spine.roles import PRIVACY_OFFICER
from privacydesk.testing import free_port, make_staff


@pytest.mark.django_db
@pytest.mark.parametrize("failure", ["refused", "down"])
def test_an_answer_the_mail_server_did_not_take_is_flagged_and_sent_again(
    smtp, settings, staff_client, failure
):
    req = services.create(
        kind="access", channel="post", actor="x:1", email="jan@example.nl", verified=True
    )
    if failure == "refused":
        smtp.refuse("jan@example.nl", 451)
    else:
        settings.EMAIL_PORT = free_port()  # nothing listens there
    services.carry_out(req, actor="system:test")
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED and req.package
    assert req.unsent_letter == "access"  # not silently answered
    assert smtp.messages_to("jan@example.nl") == []
    client = staff_client(PRIVACY_OFFICER)
    assert 'id="rights-unsent"' in client.get(f"/staff/rights/{req.pk}/").content.decode()
    assert "pd-unsent" in client.get("/staff/rights/").content.decode()  # still in the queue
    officer = make_staff(PRIVACY_OFFICER)
    out = io.StringIO()
    call_command("rights", "show", str(req.pk), "--json", "--user", officer.username, stdout=out)
    assert json.loads(out.getvalue())["letter_unsent"] == "access"
    # the server is back: the worker's next round sends it, once
    smtp.reset()
    settings.EMAIL_PORT = smtp.port
    assert services.resend_letters() == 1
    assert services.resend_letters() == 0
    [sent] = smtp.messages_to("jan@example.nl")
    assert re.search(r"/privacy/request/package/\S+/", sent.part("plain"))
    assert letters.request_for_message_id(sent.email["Message-ID"]) == req.pk
    req.refresh_from_db()
    assert req.unsent_letter == ""


@pytest.mark.django_db
def test_a_refusal_letter_that_could_not_be_sent_is_flagged(
    smtp, django_capture_on_commit_callbacks
):
    req = services.create(
        kind="erasure", channel="post", actor="x:1", email="jan@example.nl", verified=True
    )
    smtp.refuse("jan@example.nl", 550)
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse(req, reason="Niet te verifiëren.", actor="system:test")
    req.refresh_from_db()
    assert req.state == Request.State.REFUSED and req.unsent_letter == "refusal"


def test_our_message_ids_name_the_request_and_cannot_be_forged(settings):
    class Req:
        pk = 42

    value = letters.message_id(Req())
    assert letters.request_for_message_id(f"<other@example.org> {value}") == 42
    forged = value.replace("rights.42.", "rights.43.")
    assert letters.request_for_message_id(forged) is None
    assert letters.request_for_message_id("") is None
