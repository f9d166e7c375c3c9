"""No personal data in logs: e-mail addresses, IP addresses and phone numbers are masked."""

import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.provisional import domains

from privacydesk.redaction import RedactPersonalData, redact
from privacydesk.testing import free_port

PERSONAL = [
    "jan.jansen@example.nl",
    "o'brien+news@sub.example.co.uk",
    "192.168.10.77",
    "2001:db8:85a3::8a2e:370:7334",
    "fe80::1%eth0",
    "::ffff:192.0.2.1",  # an IPv4 client as a dual-stack socket logs it
    "64:ff9b::192.0.2.33",
    "+31 6 12345678",
    "06-12345678",
    "0031 20 123 4567",
    "(020) 123 4567",
    "0412-123456",
]
HARMLESS = [
    "2026-11-25 10:27:30",
    "job 123456789012 finished in 4.5 s",
    "port 8080, 42 items, 100%",
    "uuid 84197635-9028-4878-8827-a42fd7575b8c",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


@pytest.mark.parametrize("value", PERSONAL)
def test_personal_values_are_masked(value):
    out = redact(f"before {value} after")
    assert value not in out
    assert out.startswith("before [") and out.endswith("] after")


@given(st.ip_addresses(v=4))
def test_any_ipv4_client_of_a_dual_stack_socket_is_masked(address):
    assume(not (address.is_loopback or address.is_unspecified))
    out = redact(f"client ::ffff:{address} connected")
    assert out == "client [ip] connected"


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_kept(text):
    assert redact(text) == text


@given(local=st.from_regex(r"[A-Za-z0-9._%+\-]{1,20}", fullmatch=True), domain=domains())
def test_any_email_is_masked(local, domain):
    address = f"{local}@{domain}"
    assert address not in redact(f"mail to {address}.")
    assert "@" not in redact(f"mail to {address}.").replace("[email]", "")


@given(st.ip_addresses())
def test_any_ip_address_is_masked(address):
    """Every address a person can have; this machine's own (loopback, unspecified) are kept."""
    own = getattr(address, "ipv4_mapped", None) or address
    assume(not (own.is_loopback or own.is_unspecified))
    text = f"client {address} connected"
    out = redact(text)
    assert str(address) not in out
    if isinstance(address, ipaddress.IPv6Address):
        assert address.exploded not in redact(f"client {address.exploded} connected")


def test_filter_masks_message_args_and_exceptions():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "user %s from %s", ("a@b.nl", "10.0.0.1"), None
    )
    try:
        raise ValueError("bad address piet@example.nl")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactPersonalData().filter(record)
    text = logging.Formatter().format(record)
    assert "a@b.nl" not in text and "10.0.0.1" not in text and "piet@example.nl" not in text
    assert "user [email] from [ip]" in text


def test_configured_logging_masks_in_a_real_process(tmp_path):
    """The settings' LOGGING, as a running process uses it, writes no personal data, and
    leaves a traceback's file paths readable."""
    code = (
        "import logging\n"
        "logging.getLogger('privacydesk.demo').warning("
        "'contact %s at %s from %s', 'klant@example.nl', '+31 6 12345678', '203.0.113.9')\n"
        "logging.getLogger('privacydesk.demo').warning("
        "'\"GET /zoek/?q=carol%40example.nl&tel=%2B31+6+12345678 HTTP/1.1\" 404')\n"
        "from django.test import Client\n"
        "Client().get('/nothing-here/klant@example.nl/')\n"  # django.request logs the path
        "from privacydesk.vault import links\n"
        "try:\n"
        "    links.portal_path(None)\n"
        "except Exception:\n"
        "    logging.getLogger('privacydesk.demo').exception('link for klant@example.nl')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PRIVACYDESK_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "privacydesk", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    logged = result.stderr
    assert "contact [email] at [phone] from [ip]" in logged
    assert '"GET /zoek/?q=[email]&tel=[phone] HTTP/1.1" 404' in logged
    assert "Not Found: /nothing-here/[email]/" in logged
    assert "link for [email]" in logged and "Traceback" in logged
    assert "privacydesk/vault/links.py" in logged and "/vault/[token]" not in logged
    for value in ("klant@example.nl", "12345678", "203.0.113.9", "carol"):
        assert value not in logged


def test_uuids_are_not_phone_numbers():
    """About one random UUID in a thousand has dash-separated digit runs like a phone number."""
    for value in (
        "cf5858b1-0953-4553-8971-4a2b3c4d5e6f",
        "00000000-0000-4000-8000-000000000000",
        "12345678-1234-4123-8123-123456789012",
    ):
        assert redact(f"item {value} stored") == f"item {value} stored"


@given(st.uuids())
def test_no_uuid_is_masked(value):
    assert redact(str(value)) == str(value)


def test_download_link_tokens_are_masked():
    line = '"GET /en/vault/eyJqIjoxLCJ2IjoxfQ:1xWAn0:qAAxc1CItHtIR8V/items/x/ HTTP/1.1" 200'
    assert redact(line) == '"GET /en/vault/[token]/items/x/ HTTP/1.1" 200'


# -- percent-encoding, paths and this machine's addresses (issue 8, "Seen" 9) -----------------
@pytest.mark.parametrize("value", PERSONAL)
@pytest.mark.parametrize("encode", [quote, quote_plus, lambda v: quote(quote(v))])
def test_percent_encoded_values_in_urls_are_masked(value, encode):
    encoded = encode(value)
    out = redact(f"GET /search/?q={encoded}&page=2 HTTP/1.1")
    assert encoded not in out
    if value.startswith(("::ffff:", "64:ff9b::")):
        # The IPv4 tail is readable as it stands and masked first; the prefix left is no one's.
        assert value.rsplit(":", 1)[1] not in out and out.endswith("[ip]&page=2 HTTP/1.1")
        return
    assert out.startswith("GET /search/?q=[") and out.endswith("]&page=2 HTTP/1.1")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("?q=carol%40example.nl", "?q=[email]"),
        ("?tel=%2B31%206%2012345678", "?tel=[phone]"),
        ("?tel=%2B31+6+12345678", "?tel=[phone]"),
        ("?q=06+12345678", "?q=[phone]"),
        ("/c/carol%2540example.nl/", "/c/[email]/"),
        # A decoded value cannot start a new log line or hide behind a bidi control.
        ("?q=x%0Acarol%40example.nl", "?q=x%0A[email]"),
        ("?q=%E2%80%AEcarol%40example.nl", "?q=%E2%80%AE[email]"),
    ],
)
def test_decoded_values_are_masked_and_stay_one_line(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize(
    "text",
    [
        '  File "/srv/privacydesk/src/privacydesk/vault/services.py", line 12, in store',
        "GET /staff/vault/jobs/12/ HTTP/1.1",
        "Listening at: http://127.0.0.1:8765 (4242)",
        "Listening at: http://0.0.0.0:8000 (4242)",
        "Listening at: http://[::1]:8000 (4242)",
        "a+b C++ 2026-11-25+10:27:30 100%",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08+",
    ],
)
def test_paths_and_this_machines_addresses_are_kept(text):
    assert redact(text) == text


def test_a_token_in_an_encoded_link_is_masked():
    line = "GET /vault/.eJyrVspSsjLUUSpLLSrOzM9TsjKsBQBigQbR%3A1xWAn0%3AqAAxc1CIt/ HTTP/1.1"
    assert redact(line) == "GET /vault/[token]/ HTTP/1.1"


def test_gunicorn_listen_line_keeps_the_servers_address():
    """The server's own socket is not a person's address; any other line's address is."""
    line = "Listening at: http://192.0.2.7:8765 (4242)"
    record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, line, None, None)
    assert RedactPersonalData().filter(record) and record.msg == line
    other = logging.LogRecord("privacydesk", logging.INFO, __file__, 1, line, None, None)
    assert (
        RedactPersonalData().filter(other) and other.msg == "Listening at: http://[ip]:8765 (4242)"
    )


@pytest.mark.parametrize("text", ["a" * 200_000, "x+" * 100_000, "%41" * 60_000, "1." * 100_000])
def test_long_lines_take_linear_time(text):
    """A long word without "@" was scanned again from every character (minutes for 200 kB)."""
    start = time.monotonic()
    redact(text)
    assert time.monotonic() - start < 2


def test_gunicorn_access_log_masks_encoded_query_strings(tmp_path):
    """A real gunicorn with the shipped config: the request line is masked, the listen line
    readable."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PRIVACYDESK_DATA_DIR"] = str(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "privacydesk.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--config",
            "python:privacydesk.gunicorn_conf",
            "--no-control-socket",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    query = "q=carol%40example.nl&tel=%2B31+6+12345678&ip=203.0.113%2E9"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing/?{query}", timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert f"Listening at: http://127.0.0.1:{port} (" in output
    assert '"GET /nothing/?q=[email]&tel=[phone]&ip=[ip] HTTP/1.1" 404' in output
    for value in ("carol", "12345678", "203.0.113"):
        assert value not in output
