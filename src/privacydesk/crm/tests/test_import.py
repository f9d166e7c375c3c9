"""The CSV import: every row checked, good rows imported together, bad ones reported (issue 10)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacydesk.audit.models import AuditEntry
from privacydesk.crm import importer
from privacydesk.crm.models import Contact
from privacydesk.crm.tests.support import organisation

GOOD = (
    "name;email;phone;function;organisation\n"
    "Jan de Boer;jan@acme.example;06-12345678;Inkoop;Acme B.V.\n"
    "Eva;eva@acme.example;;;\n"
)


def run(text: str | bytes) -> importer.Report:
    data = text.encode() if isinstance(text, str) else text
    with translation.override("en"):
        return importer.run(data, actor="system:test", source="test")


@pytest.fixture
def acme(db):
    return organisation("Acme B.V.", kvk_number="12345678")


def reasons(report: importer.Report) -> dict[int, str]:
    return {r.row: r.reason for r in report.rejected}


def test_good_rows_are_imported_and_a_second_import_changes_nothing(acme):
    report = run(GOOD)
    assert report.as_json() == {"imported": 2, "unchanged": 0, "rejected": [], "notes": []}
    jan = Contact.objects.get(email="jan@acme.example")
    assert (jan.name, jan.phone, jan.function, jan.organisation) == (
        "Jan de Boer", "06-12345678", "Inkoop", acme,
    )  # fmt: skip
    before = list(Contact.objects.values_list("pk", "updated_at"))
    again = run(GOOD)
    assert again.as_json() == {"imported": 0, "unchanged": 2, "rejected": [], "notes": []}
    assert list(Contact.objects.values_list("pk", "updated_at")) == before
    # A changed value updates the contact; an empty cell leaves its value alone.
    changed = run("naam;e-mail;functie\nJan de Boer;JAN@acme.example;Directeur\n")
    assert changed.as_json() == {"imported": 1, "unchanged": 0, "rejected": [], "notes": []}
    jan.refresh_from_db()
    assert (jan.function, jan.phone) == ("Directeur", "06-12345678")
    assert AuditEntry.objects.filter(action="crm.contacts.imported").count() == 3


def test_each_bad_row_is_reported_with_its_row_and_reason(acme):
    long_address = "a" * 290 + "@acme.example"
    text = (
        "name,email,organisation\n"
        "Goed,goed@acme.example,acme b.v.\n"  # organisation in another case: found
        ",zonder-naam@acme.example,\n"
        "Geen adres,niet-een-adres,\n"
        f"Te lang,{long_address},\n"
        '"Regel\r\nbreuk",regel@acme.example,\n'
        "<script>alert(1)</script>,script@acme.example,\n"
        "Dubbel,GOED@acme.example,\n"
        "Onbekend,onbekend@acme.example,Nergens B.V.\n"
        "Op KvK,kvk@acme.example,12345678\n"
        "Te veel,veel@acme.example,,extra\n"
        ",,\n"  # an empty line: nothing to import, nothing to report
    )
    report = run(text)
    got = reasons(report)
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9, 11]
    assert got[3] == "name: A name is required."
    assert got[4] == "e-mail: Enter a valid e-mail address."
    assert got[5] == "e-mail: The e-mail address is longer than 254 characters."
    assert got[6] == "name: Contains a line break or another control character."
    assert got[7] == "name: May not contain < or >."
    assert got[8] == "the same e-mail address as row 2"
    assert got[9].startswith("organisation: no organisation named “Nergens B.V.”")
    assert got[11] == "more values than the header has columns"
    assert report.imported == 2
    assert set(Contact.objects.values_list("email", flat=True)) == {
        "goed@acme.example",
        "kvk@acme.example",
    }
    assert Contact.objects.get(email="kvk@acme.example").organisation == acme


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        ("\ufeffnaam;e-mail\nJosé Müller;jose@acme.example\n".encode(), "UTF-8", ";"),
        ("naam;e-mail\r\nJosé Müller;jose@acme.example\r\n".encode("cp1252"), "Windows-1252", ";"),
        ("name,email\nJosé Müller,jose@acme.example\n".encode("latin-1"), "Windows-1252", ","),
        ("name\temail\nJosé Müller\tjose@acme.example\n".encode(), "UTF-8", "\t"),
    ],
)
def test_bom_semicolons_and_latin1_are_read(db, data, encoding, delimiter):
    report = run(data)
    assert (report.encoding, report.delimiter, report.imported) == (encoding, delimiter, 1)
    assert Contact.objects.get().name == "José Müller"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\n\n", "The file is empty."),
        (b";;\r\n;;\r\n", "The file is empty."),
        ("name;email\n".encode("utf-16"), "UTF-16"),
        (b"\xef\xbb\xbfname;email\nJ\xe9;j@acme.example\n", "says it is UTF-8 but is not"),
        (b"name;email\nJ\x81;j@acme.example\n", "neither UTF-8 nor Windows-1252"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "NUL bytes"),
        (b"just one column\nJan\n", "no columns separated by ; or ,"),
        (b"name;email;age\nJan;j@acme.example;40\n", "Unknown column “age” (column 3)"),
        (b"name;phone\nJan;0612345678\n", "The column email is missing."),
        (b"name;email;naam\nJan;j@acme.example;Jan\n", "Column name appears twice."),
        (b"name;email;newsletter\nJan;j@acme.example;ja\n", "list “nieuwsbrief” does not exist"),
        (b'name;email\n"Jan;j@acme.example\n', "not valid CSV"),
    ],
)
def test_an_unusable_file_imports_nothing_and_says_why(db, data, message):
    with translation.override("en"), pytest.raises(importer.Unusable, match=re.escape(message)):
        run(data)
    assert not Contact.objects.exists()


def test_nothing_is_half_imported_when_the_write_fails(acme, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Contact.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        run(GOOD + "Nieuw;nieuw@acme.example;;;\n")
    assert not Contact.objects.exists()
    assert not AuditEntry.objects.filter(action="crm.contacts.imported").exists()


# -- the command: the public contract ------------------------------------------------------------
def command(*args) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("crm", "import", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_exit_status_and_json_of_the_command(acme, tmp_path, staff):
    path = tmp_path / "contacts.csv"
    path.write_text(GOOD, encoding="utf-8")
    user = staff("sales")
    assert command(str(path), "--json", "--user", user.username) == (
        0,
        json.dumps({"imported": 2, "unchanged": 0, "rejected": [], "notes": []}) + "\n",
        "",
    )
    entry = AuditEntry.objects.filter(action="crm.contacts.imported").latest("id")
    assert (entry.actor, entry.detail["source"]) == (f"user:{user.pk}", "cli")

    code, out, _ = command(str(path), "--json")
    assert (code, json.loads(out)["unchanged"]) == (0, 2)

    path.write_text(GOOD + "Fout;fout;;;\n", encoding="utf-8")
    code, out, _ = command(str(path), "--json")
    assert code == 1
    assert json.loads(out) == {
        "imported": 0,
        "unchanged": 2,
        "rejected": [{"row": 4, "reason": "e-mail: Enter a valid e-mail address."}],
        "notes": [],
    }
    code, out, _ = command(str(path))
    assert code == 1 and "row 4: e-mail: Enter a valid e-mail address." in out

    path.write_bytes(b"")
    code, out, _ = command(str(path), "--json")
    assert code == 2 and json.loads(out)["error"] == "The file is empty."
    code, _, err = command(str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot be read" in err


def test_a_50_mb_file_is_refused_before_it_is_read(db, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(50 * 1000 * 1000)  # sparse: no 50 MB written
    code, out, _ = command(str(big), "--json")
    assert code == 2
    assert json.loads(out)["error"].startswith("The file is larger than 10 MB")


def test_only_sales_or_admin_may_be_named(db, staff):
    from django.core.management import CommandError

    technician = staff("technician")
    with pytest.raises(CommandError, match="not a sales or admin"):
        call_command("crm", "import", "x.csv", "--user", technician.username)


# -- the staff page -----------------------------------------------------------------------------
def upload(client, data: bytes, name: str = "contacts.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/staff/crm/import/", {"file": SimpleUploadedFile(name, data)})


def test_the_import_page_reports_each_row(acme, staff_client):
    client = staff_client("sales")
    assert client.get("/staff/crm/import/").status_code == 200
    response = upload(client, (GOOD + "<b>x</b>;x@acme.example;;;\n").encode("cp1252"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="crm-import-report"' in page
    assert "Geïmporteerd: 2. Ongewijzigd: 0. Geweigerd: 1." in page
    assert "naam: Mag geen &lt; of &gt; bevatten." in page
    assert "<b>x</b>" not in page
    again = upload(client, GOOD.encode()).content.decode()
    assert "Geïmporteerd: 0. Ongewijzigd: 2. Geweigerd: 0." in again


def test_the_import_page_refuses_unusable_files_with_a_message(db, staff_client):
    client = staff_client("admin")
    response = upload(client, b"")
    assert response.status_code == 400
    assert "Er is niets geïmporteerd: Het bestand is leeg." in response.content.decode()
    response = client.post("/staff/crm/import/", {})
    assert response.status_code == 400
    response = client.post(
        "/staff/crm/import/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        HTTP_CONTENT_LENGTH=str(50 * 1000 * 1000),
        CONTENT_LENGTH=str(50 * 1000 * 1000),
    )
    assert response.status_code == 413
    assert "groter dan 10 MB" in response.content.decode()


@pytest.mark.parametrize("role", ["technician", "privacy_officer"])
def test_readers_cannot_import(db, staff_client, role):
    client = staff_client(role)
    assert client.get("/staff/crm/import/").status_code == 403
    assert upload(client, GOOD.encode()).status_code == 403
    assert not Contact.objects.exists()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=st.sampled_from(list(';,\t"\r\n naemilx@.<>é\x00\x85')), max_size=120).map(
            lambda t: ("name;email\n" + t).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_any_bytes_give_a_report_or_a_clear_refusal(db, data):
    try:
        report = run(data)
    except importer.Unusable as exc:
        assert str(exc)
    else:
        assert all(r.reason for r in report.rejected)
