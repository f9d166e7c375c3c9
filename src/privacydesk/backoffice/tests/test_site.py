"""The back office shell, security headers, the health check and ``privacydesk run``."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from django.test import override_settings

from privacydesk.testing import free_port
from privacydesk.testing.installation import migrated_installation


def test_security_headers_everywhere(client, db):
    for url in ("/", "/staff/login/", "/healthz"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_csrf_is_enforced_on_sign_in(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/staff/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_on_https(client, db):
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "workers": 0}


def test_home_shows_panels(staff_client):
    page = staff_client("admin").get("/staff/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="pd-panels"' in html
    assert "/staff/audit/auditentry/" in html
    assert "/staff/django_tasks_database/dbtaskresult/" in html


def test_staff_switch_language(staff_client):
    client = staff_client("sales")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    assert response.status_code == 302
    assert client.get("/staff/")["Content-Language"] == "en"


@pytest.mark.django_db(transaction=True)
def test_run_serves_the_site_with_the_worker(tmp_path):
    """``privacydesk run`` starts gunicorn and a worker; access logs carry no IP address."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PRIVACYDESK_DATA_DIR"] = str(tmp_path)
    migrated_installation(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "privacydesk", "run", "--port", str(port), "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = r.read().decode()
                if '"workers": 1' in health:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert health is not None and '"workers": 1' in health, health
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/staff/login/", timeout=5) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert '"GET /staff/login/ HTTP/1.1" 200' in output
    # The server's own address is printed on start and in gunicorn's listen line; no other
    # line (access log, requests) names an address.
    logged = [
        line
        for line in output.splitlines()
        if not line.startswith("Privacydesk at ") and " Listening at: " not in line
    ]
    assert f"gunicorn.error Listening at: http://127.0.0.1:{port} (" in output
    assert not [line for line in logged if "127.0.0.1" in line]


@pytest.mark.parametrize(
    ("path", "heading", "lang"),
    [("/diensten/", "Diensten", "nl"), ("/en/services/", "Services", "en")],
)
def test_the_services_page_in_both_languages(client, db, path, heading, lang):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page and f'<html lang="{lang}">' in page
    assert client.get("/en/diensten/").status_code == 404  # each language its own path


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", ("Diensten", "Downloads", "Nieuwsbrief", "Uw privacyrechten")),
        ("/en", ("Services", "Downloads", "Newsletter", "Your privacy rights")),
    ],
)
def test_public_menu_lists_each_installed_apps_public_pages(client, db, prefix, words):
    """Apps put their public pages in the menu and on the home page (``public_link``)."""
    page = client.get(f"{prefix}/").content.decode()
    for word in words:
        assert page.count(word) >= 2, word  # menu and home page
    assert f'href="{prefix}/newsletter/"' in page
    assert f'href="{prefix}/{"services" if prefix else "diensten"}/"' in page
    assert f'href="{prefix}/downloads/"' in page
    assert f'href="{prefix}/privacy/request/"' in page
