"""The newsletter's staff pages: sales and admin write, the others read; reads are audited."""

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.mailings import services
from privacydesk.mailings.models import Campaign

MD = "# Nieuws\n\nTekst met **vet**.\n"


@pytest.fixture
def draft(newsletter):
    return services.create_campaign(
        "nieuwsbrief", subject="Nieuws", markdown=MD, actor="system:test"
    )


def test_sales_writes_previews_tests_and_sends(staff_client, smtp, subscribe, newsletter):
    subscribe("lezer@example.nl", name="Lezer")
    smtp.reset()
    client = staff_client("sales")
    response = client.post(
        "/staff/mailings/campaigns/new/",
        {"list": "nieuwsbrief", "subject": "Nieuws", "markdown": MD},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/mailings/campaigns/{campaign.pk}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>vet</strong>" in html and "Oude Molenweg 22c" in html
    assert "Ontvangers nu" in html

    bad = client.post(f"/staff/mailings/campaigns/{campaign.pk}/",
                      {"subject": "Nieuws\r\nBcc: x@example.nl", "markdown": MD})  # fmt: skip
    assert bad.status_code == 400 and "subject" in bad.context["form"].errors
    client.post(f"/staff/mailings/campaigns/{campaign.pk}/",
                {"subject": "Nieuws van december", "markdown": MD})  # fmt: skip
    assert Campaign.objects.get().subject == "Nieuws van december"

    bad = client.post(f"/staff/mailings/campaigns/{campaign.pk}/test/", {"address": "x" * 300})
    assert bad.status_code == 400 and "address" in bad.context["test_form"].errors
    assert client.post(f"/staff/mailings/campaigns/{campaign.pk}/test/",
                       {"address": "ik@example.nl"}).status_code == 302  # fmt: skip
    assert smtp.recipients() == ["ik@example.nl"]
    assert str(smtp.messages[0].email["Subject"]) == "[TEST] Nieuws van december"

    assert client.post(f"/staff/mailings/campaigns/{campaign.pk}/send/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == "sending" and campaign.deliveries.count() == 1
    assert client.post(f"/staff/mailings/campaigns/{campaign.pk}/send/").status_code == 302
    assert campaign.deliveries.count() == 1  # sent once
    page = client.get(f"/staff/mailings/campaigns/{campaign.pk}/").content.decode()
    assert "lezer@example.nl" in page
    assert AuditEntry.objects.filter(action="mailings.deliveries_viewed").exists()


@pytest.mark.parametrize("role", ["technician", "privacy_officer"])
def test_other_roles_read_only(staff_client, draft, role):
    client = staff_client(role)
    assert client.get(f"/staff/mailings/campaigns/{draft.pk}/").status_code == 200
    assert (
        "mailings-send-form"
        not in client.get(f"/staff/mailings/campaigns/{draft.pk}/").content.decode()
    )
    for path in (
        f"/staff/mailings/campaigns/{draft.pk}/",
        f"/staff/mailings/campaigns/{draft.pk}/test/",
        f"/staff/mailings/campaigns/{draft.pk}/send/",
        "/staff/mailings/campaigns/new/",
    ):
        assert client.post(path, {"subject": "x", "markdown": "y", "address": "a@b.nl"}
                           ).status_code == 403, path  # fmt: skip
    assert Campaign.objects.get().state == "draft"


def test_subscribers_page_shows_basis_and_proof_and_is_audited(staff_client, subscribe,
                                                               newsletter):  # fmt: skip
    subscribe("anna@example.nl", name="Anna")
    services.add_soft_opt_in("nieuwsbrief", "klant@example.nl", source="crm:invoice 3",
                             actor="system:test")  # fmt: skip
    client = staff_client("privacy_officer")
    html = client.get("/staff/mailings/lists/nieuwsbrief/").content.decode()
    assert "anna@example.nl" in html and "klant@example.nl" in html
    assert "toestemming (dubbele opt-in)" in html and "soft opt-in (bestaande klant)" in html
    assert "192.0.2.0" in html and "198.51.100.0" in html  # truncated, never the full address
    assert "192.0.2.77" not in html
    assert "crm:invoice 3" in html
    entry = AuditEntry.objects.filter(action="mailings.subscribers_viewed").get()
    assert entry.actor == f"user:{client.user.pk}"
    assert client.get("/staff/mailings/lists/nope/").status_code == 404


def test_suppression_page_shows_hashes_and_counts_only(staff_client, newsletter):
    services.suppress("weg@example.nl", reason="objected", actor="system:test")
    html = staff_client("sales").get("/staff/mailings/suppression/").content.decode()
    assert "weg@example.nl" not in html and "email#" in html
    assert "bezwaar gemaakt (art. 21)" in html
    assert AuditEntry.objects.filter(action="mailings.suppression_viewed").exists()


def test_home_panel(staff_client, subscribe):
    subscribe("a@example.nl")
    html = staff_client("technician").get("/staff/").content.decode()
    assert "1 bevestigde abonnees" in html and "/staff/mailings/" in html
