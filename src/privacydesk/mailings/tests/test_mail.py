"""The one e-mail sender (issue 10 item 6): headers, both parts, no header injection."""

import email
import email.policy

import pytest
from django.core import mail as django_mail

from privacydesk.spine import mail


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "Hallo\r\nBcc: victim@example.nl"},
        {"subject": "Hallo\nX-Evil: 1"},
        {"from_name": "coMPjoeter\r\nBcc: victim@example.nl"},
        {"to": "klant@example.nl\r\nBcc: victim@example.nl"},
        {"reply_to": "verkoop@compjoeter.nl\nBcc: victim@example.nl"},
        {"headers": {"List-Id": "x\r\nBcc: victim@example.nl"}},
        {"headers": {"Bad Name": "x"}},
        {"headers": {"X-Evil\r\nBcc": "x"}},
    ],
)
def test_line_breaks_in_any_header_are_refused(kwargs, smtp):
    args = {"to": "klant@example.nl", "subject": "Hallo", "text": "tekst", **kwargs}
    with pytest.raises(mail.UnsafeHeader):
        mail.send(**args)
    assert smtp.messages == []


def test_a_message_has_from_name_reply_to_message_id_date_and_both_parts(smtp):
    message_id = mail.send(
        "Klant Één <klant@example.nl>",
        "Uw nieuwsbrief — december",
        "Platte tekst",
        "<p>HTML-tekst</p>",
        headers={"List-Id": "<nieuwsbrief.compjoeter.nl>"},
        reply_to="verkoop@compjoeter.nl",
        from_name="coMPjoeter Verkoop",
    )
    [received] = smtp.messages
    msg = received.email
    assert received.rcpt_tos == ["klant@example.nl"]
    assert msg["Message-ID"] == message_id and message_id.endswith("@compjoeter.nl>")
    assert msg["Date"]
    assert str(msg["From"]) == "coMPjoeter Verkoop <verkoop@compjoeter.nl>"
    assert str(msg["Reply-To"]) == "verkoop@compjoeter.nl"
    assert str(msg["Subject"]) == "Uw nieuwsbrief — december"
    assert msg["List-Id"] == "<nieuwsbrief.compjoeter.nl>"
    assert received.part("plain").strip() == "Platte tekst"
    assert received.part("html").strip() == "<p>HTML-tekst</p>"


def test_without_email_url_messages_go_to_the_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    mail.send("klant@example.nl", "Onderwerp", "tekst", "<p>html</p>", from_name="coMPjoeter")
    [path] = list(settings.OUTBOX_DIR.iterdir())
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_body(("html",)).get_content().strip() == "<p>html</p>"


def test_transport_reuses_one_connection_and_cancels_without_the_final_dot(smtp):
    with mail.Transport() as transport:
        for n in range(3):
            transport.send(mail.build(f"k{n}@example.nl", f"m{n}", "tekst"))
        with pytest.raises(mail.HandoverCancelled):
            transport.send(mail.build("nee@example.nl", "no", "tekst"), before_commit=lambda: False)
        transport.send(mail.build("k3@example.nl", "m3", "tekst"), before_commit=lambda: True)
    assert sorted(smtp.recipients()) == ["k0@example.nl", "k1@example.nl", "k2@example.nl",
                                         "k3@example.nl"]  # fmt: skip
    assert smtp.handler.connections == 2  # one, and one more after the dropped handover


def test_transport_reports_refusals_with_their_stage(smtp):
    smtp.refuse("weg@example.nl", 550)
    smtp.refuse("later@example.nl", 451)
    with mail.Transport() as transport:
        with pytest.raises(mail.Refused) as permanent:
            transport.send(mail.build("weg@example.nl", "s", "t"))
        with pytest.raises(mail.Refused) as temporary:
            transport.send(mail.build("later@example.nl", "s", "t"))
        transport.send(mail.build("ok@example.nl", "s", "t"))
    assert (permanent.value.code, permanent.value.stage, permanent.value.permanent) == (
        550, "rcpt", True,
    )  # fmt: skip
    assert (temporary.value.code, temporary.value.permanent) == (451, False)
    assert smtp.recipients() == ["ok@example.nl"]


def test_dots_at_line_starts_survive(smtp):
    mail.send("k@example.nl", "s", ".begint met een punt\n..twee\nnormaal\n.")
    assert smtp.messages[0].part("plain").splitlines()[:3] == [
        ".begint met een punt", "..twee", "normaal",
    ]  # fmt: skip


def test_locmem_backend_still_works(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.send("k@example.nl", "s", "t")
    with mail.Transport() as transport:
        transport.send(mail.build("l@example.nl", "s", "t"))
    assert [m.to for m in django_mail.outbox] == [["k@example.nl"], ["l@example.nl"]]
