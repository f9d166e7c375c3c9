"""Public policy pages (nl/en), versions and diffs, cookie statement, the Art. 30 register."""

import csv
import io
import json

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import services
from privacydesk.policy.models import ImmutableError, PolicyVersion
from privacydesk.policy.register import COLUMNS


def test_install_publishes_seed_and_model_versions(db):
    versions = list(PolicyVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    seed = versions[0]
    assert seed.effective_date.isoformat() == "2018-06-01"
    assert "laatst gewijzigd op 1 Juni 2018" in seed.text_nl
    assert versions[1].revision is not None


@pytest.mark.parametrize("url,lang", [("/privacy/", "nl"), ("/en/privacy/", "en")])
def test_policy_page_in_both_languages(client, db, url, lang):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    html = response.content.decode()
    latest = services.latest_version()
    assert latest.html(lang) in html
    assert "verkoop@compjoeter.nl" in html
    assert ("(versie 2)" if lang == "nl" else "(version 2)") in html


def test_policy_page_shows_last_changed_from_newest_version(client, db):
    services.publish(note="Bewaartermijnen verduidelijkt", actor="system:test")
    html = client.get("/privacy/").content.decode()
    assert "versie 3" in html


def test_versions_list_and_old_version(client, db):
    listing = client.get("/privacy/versions/").content.decode()
    assert "Privacyvoorwaarden zoals gepubliceerd op 1 juni 2018." in listing
    old = client.get("/privacy/versions/1/").content.decode()
    assert "Dataopslag en recovery" in old
    assert "1 juni 2018" in old
    assert client.get("/privacy/versions/99/").status_code == 404


def test_diff_between_two_versions(client, db):
    page = client.get("/privacy/versions/compare/?from=1&to=2")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<del>" in html and "<ins>" in html
    assert "Autoriteit Persoonsgegevens" in html  # added since 2018
    same = client.get("/privacy/versions/compare/?from=2&to=2").content.decode()
    assert "<ins>" not in same
    assert client.get("/privacy/versions/compare/?from=a&to=2").status_code == 400


def test_published_versions_are_immutable(db):
    version = PolicyVersion.objects.get(number=2)
    version.note = "rewritten history"
    with pytest.raises(ImmutableError):
        version.save()
    with pytest.raises(ImmutableError):
        version.delete()


def test_publish_records_in_audit_log(db):
    version = services.publish(note="Nieuwe versie", actor="system:test")
    assert AuditEntry.objects.filter(action="policy.published", object_id=str(version.pk)).exists()
    with pytest.raises(ValueError):
        services.publish(note="  ", actor="system:test")


@pytest.mark.parametrize("url,word", [("/cookies/", "Noodzakelijk"), ("/en/cookies/", "Necessary")])
def test_cookie_statement_lists_declared_cookies(client, db, url, word):
    html = client.get(url).content.decode()
    for cookie in services.current_model().cookies:
        assert f"<code>{cookie.name}</code>" in html
    assert word in html


def test_register_page_and_exports(staff_client):
    client = staff_client("privacy_officer")
    page = client.get("/staff/register/")
    assert page.status_code == 200
    assert "Dataopslag en recovery" in page.content.decode()

    response = client.get("/staff/register/export.csv?lang=en")
    assert response["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.content.decode()), fieldnames=list(COLUMNS))
    header, *activities = list(reader)
    assert header["purpose"].startswith("Art. 30(1)(b)")
    assert header["security"].startswith("Art. 30(1)(g)")
    assert len(activities) == len(services.current_model().activities)
    vault = next(r for r in activities if r["activity"] == "Data storage and recovery")
    assert vault["retention"].startswith("1 month after storage — ")
    assert vault["legal_basis"].startswith("Performance of a contract (Art. 6(1)(b) GDPR) — ")

    data = json.loads(client.get("/staff/register/export.json").content)
    assert data["controller"]["name"] == "coMPjoeter"
    assert set(data["activities"][0]) == set(data["columns"])
    assert AuditEntry.objects.filter(action="register.exported").count() == 2
    assert AuditEntry.objects.filter(action="register.viewed").count() == 1
    assert client.get("/staff/register/export.xml").status_code == 404


@pytest.mark.parametrize("role", ["technician", "sales"])
def test_register_is_for_privacy_officer_and_admin(staff_client, role):
    client = staff_client(role)
    assert client.get("/staff/register/").status_code == 403
    assert client.get("/staff/register/export.csv").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/privacy/versions/compare/?from=1&to=99999999999999999999999",
        "/privacy/versions/compare/?from=-1&to=1",
        "/privacy/versions/compare/?from=1&to=" + "9" * 5000,
        "/privacy/versions/99999999999999999999999/",
    ],
)
def test_out_of_range_version_numbers_are_a_clear_answer_not_a_500(client, db, path):
    status = client.get(path).status_code
    assert status in (400, 404)
