"""Every output of a name, a size and a byte range follows one rule (issue 8).

- Names: Unicode format characters (Cf: U+202E RIGHT-TO-LEFT OVERRIDE, zero-width ones) and
  controls never reach the portal list, Content-Disposition, ZIP entries, staff pages or the
  CLI; web upload and CLI put store the same name for the same file.
- Sizes: one format (decimal units) in the CLI, the portal, the staff pages and e-mails.
- Range: any header, however long or odd, is 200, 206 or 416; never a 500.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from privacydesk.accounts.roles import TECHNICIAN
from privacydesk.vault import names, portal, services, sizes
from privacydesk.vault.models import VaultItem

RLO = "\u202e"
TRICK = f"invoice{RLO}fdp.exe"  # displays as "invoiceexe.pdf"
HIDDEN = {RLO, "\u200b", "\u200d", "\ufeff", "\u2066", "\x9b"}


def no_hidden(text: str) -> bool:
    return not any(unicodedata.category(ch) in {"Cf", "Cc"} and ch not in "\n\r\t" for ch in text)


@pytest.fixture
def customer(job):
    """``customer()`` (call it once the job has items): a client that gave the PIN, and the
    portal path of ``job``."""
    new = services.issue_new_link(job, actor="system:test")
    path = "/" + new.link.split("/", 3)[3]

    def enter() -> tuple[Client, str]:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert client.post(path, {"pin": new.pin}).status_code == 302
        return client, path

    return enter


def store(job, data: bytes, raw: bytes, display: str | None = None) -> VaultItem:
    return services.store(job, io.BytesIO(data), raw_name=raw, display=display, actor="t:t")


# -- names -----------------------------------------------------------------------------------
def test_format_characters_are_escaped_visibly():
    shown = names.display_name(TRICK.encode())
    assert shown == "invoice\\u202efdp.exe"
    for ch in HIDDEN:
        assert no_hidden(names.display_name(f"a{ch}b".encode()))
    assert names.display_name("\U000e0001tag".encode()) == "\\U000e0001tag"
    assert names.display_name("Jürgen's café, ½.txt".encode()) == "Jürgen's café, ½.txt"


@given(st.text())
def test_clean_leaves_nothing_hidden_and_is_idempotent(text):
    once = names.clean(text)
    assert not any(unicodedata.category(ch) in {"Cf", "Cc", "Cs", "Zl", "Zp"} for ch in once)
    assert names.clean(once) == once
    assert no_hidden(names.file_part(text))


def test_web_upload_and_cli_put_store_the_same_name(staff_client, tmp_path):
    client = staff_client(TECHNICIAN)
    job = services.create_job(
        contact_email="klant@example.nl", device="HP", technician=client.user, actor="t:t"
    ).job
    client.post(f"/staff/vault/jobs/{job.pk}/upload/", {"files": SimpleUploadedFile(TRICK, b"web")})
    (tmp_path / TRICK).write_bytes(b"cli")
    call_command("vault", "put", "--job", str(job.pk), str(tmp_path / TRICK), "--no-progress")
    web, cli = (job.items.get(sha256=hashlib.sha256(d).hexdigest()) for d in (b"web", b"cli"))
    assert web.name == cli.name == "invoice\\u202efdp.exe"


def _old_row(job) -> VaultItem:
    """An item stored before the rule covered format characters: its stored name has one."""
    item = store(job, b"%PDF-1.7", TRICK.encode())
    VaultItem.objects.filter(pk=item.pk).update(name=f"docs / {TRICK}")
    item.refresh_from_db()
    assert RLO in item.name
    return item


def test_no_output_shows_a_format_character(customer, job, staff_client, capsys):
    item = _old_row(job)
    store(job, b"new", TRICK.encode())
    client, path = customer()
    listing = client.get(path).content.decode()
    assert RLO not in listing and "invoice\\u202efdp.exe" in listing
    download = client.get(f"{path}items/{item.pk}/")
    assert RLO not in download["Content-Disposition"]
    assert "invoice_u202efdp.exe" in download["Content-Disposition"]
    b"".join(download.streaming_content)
    encrypted = client.get(f"{path}items/{item.pk}/age/")
    assert RLO not in encrypted["Content-Disposition"]
    key = client.get(f"{path}items/{item.pk}/key/")
    assert RLO not in key["Content-Disposition"] and RLO not in key.content.decode()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(f"{path}zip/").streaming_content)))
    assert archive.namelist() and all(no_hidden(n) for n in archive.namelist())

    staff = staff_client(TECHNICIAN)
    job.technician = staff.user
    job.save(update_fields=["technician"])
    page = staff.get(f"/staff/vault/jobs/{job.pk}/").content.decode()
    assert RLO not in page and "invoice\\u202efdp.exe" in page

    call_command("vault", "ls", "--job", str(job.pk))
    call_command("vault", "ls", "--job", str(job.pk), "--json")
    out = capsys.readouterr().out
    assert RLO not in out and "invoice\\\\u202efdp.exe" in out  # JSON doubles the backslash


def test_get_into_a_directory_names_the_file_safely(job, tmp_path, capsys):
    item = _old_row(job)
    (tmp_path / "out").mkdir()
    call_command("vault", "get", str(item.pk), "--out", str(tmp_path / "out"), "--no-progress")
    [written] = (tmp_path / "out").iterdir()
    assert no_hidden(written.name) and written.read_bytes() == b"%PDF-1.7"


# -- sizes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (2048, "2.0 kB"),
        (200_000_000, "200.0 MB"),
        (500_107_862_016, "500.1 GB"),
        (4 * 10**12, "4.0 TB"),
    ],
)
def test_one_size_format(size, text):
    with translation.override("en"):
        assert sizes.format_size(size) == text
    with translation.override("nl"):
        assert sizes.format_size(size) == text.replace(".", ",")


def test_rich_progress_counts_in_the_same_units():
    from rich.filesize import decimal

    with translation.override("en"):
        for size in (1000, 2048, 200_000_000, 500_107_862_016):
            assert decimal(size) == sizes.format_size(size)


def test_the_same_file_has_the_same_size_everywhere(customer, job, staff_client, capsys):
    """200,000,000 bytes: "200.0 MB" in the CLI, "200,0 MB" on a Dutch page, never 190,7 MB."""
    item = store(job, b"x", b"image.dd")
    client, path = customer()
    VaultItem.objects.filter(pk=item.pk).update(size=200_000_000)  # only the listing reads it
    call_command("vault", "ls", "--job", str(job.pk))
    assert "200.0 MB" in capsys.readouterr().out
    assert "200.0\xa0MB" in client.get(f"/en{path}").content.decode()
    dutch = client.get(path).content.decode()
    assert "200,0\xa0MB" in dutch and "190,7" not in dutch
    staff = staff_client(TECHNICIAN)
    job.technician = staff.user
    job.save(update_fields=["technician"])
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "200.0\xa0MB" in staff.get(f"/staff/vault/jobs/{job.pk}/").content.decode()


# -- Range -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["", "age/"])
@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=" + "1" * 4301 + "-" + "2" * 4301,
        "bytes=-" + "9" * 5000,
        "bytes=0-" + "9" * 5000,
        "bytes=" + "0" * 5000 + "5-",
        "bytes=٣-٤",  # Arabic-Indic digits: not HTTP digits
        "bytes=-",
        "bytes=\x00-1",
    ],
)
def test_no_range_header_is_a_500(customer, job, kind, header):
    item = store(job, b"0123456789", b"ten.txt")
    client, path = customer()
    response = client.get(f"{path}items/{item.pk}/{kind}", HTTP_RANGE=header)
    assert response.status_code in (200, 206, 416), header[:40]
    if response.status_code != 416:
        b"".join(response.streaming_content)


def test_a_huge_first_position_is_416(customer, job):
    item = store(job, b"0123456789", b"ten.txt")
    client, path = customer()
    for kind in ("", "age/"):
        response = client.get(
            f"{path}items/{item.pk}/{kind}", HTTP_RANGE="bytes=" + "9" * 5000 + "-"
        )
        assert response.status_code == 416
        assert response["Content-Range"].startswith("bytes */")


@given(st.text(max_size=60), st.integers(min_value=0, max_value=10**12))
def test_parse_range_only_ever_answers_three_ways(header, size):
    try:
        result = portal.parse_range(header, size)
    except portal.Unsatisfiable:
        return
    if result is not None:
        first, last = result
        assert 0 <= first <= last < size


def test_parse_range_long_numbers():
    assert portal.parse_range("bytes=0-" + "9" * 5000, 10) == (0, 9)
    assert portal.parse_range("bytes=-" + "9" * 5000, 10) == (0, 9)
    with pytest.raises(portal.Unsatisfiable):
        portal.parse_range("bytes=" + "9" * 5000 + "-", 10)
    assert portal.parse_range("bytes=" + "0" * 5000 + "3-4", 10) == (3, 4)
