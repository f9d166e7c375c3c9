"""Production mode serves styled pages: ``collectstatic``, the manifest storage, gunicorn.

Before the project's stylesheets were listed in ``STATICFILES_DIRS``, ``collectstatic``
skipped them and every HTML page in production mode was a 500 ("Missing staticfiles manifest
entry for 'privacydesk/public.css'"); in embedded mode they were a 404.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders

from privacydesk.testing import free_port

STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
HASHED = re.compile(r"/static/privacydesk/(public|staff)\.[0-9a-f]{12}\.css$")


def test_the_finders_find_the_project_stylesheets():
    for name in ("privacydesk/public.css", "privacydesk/staff.css"):
        assert finders.find(name), name


def test_embedded_mode_serves_the_stylesheets(client, db):
    for name in ("public.css", "staff.css"):
        response = client.get(f"/static/privacydesk/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/css")


def _production_env(data_dir) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signing_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PRIVACYDESK_DATA_DIR=str(data_dir),
        PRIVACYDESK_PRODUCTION="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1",
        PRIVACYDESK_SSL_REDIRECT="0",
        PRIVACYDESK_HSTS_SECONDS="0",
        PRIVACYDESK_VAULT_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        PRIVACYDESK_PSEUDONYM_KEYS=base64.b64encode(secrets.token_bytes(32)).decode(),
        PRIVACYDESK_SIGNING_KEY=signing_key.decode(),
    )
    return env


def _manage(env, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "privacydesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            body = response.read().decode()
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode(errors="replace")


def _wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail("the server did not answer within 60 s")


@pytest.mark.django_db(transaction=True)
def test_production_mode_serves_styled_pages(tmp_path):
    env = _production_env(tmp_path)
    _manage(env, "migrate", "-v0")
    _manage(env, "collectstatic", "--noinput", "-v0")
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    assert {"privacydesk/public.css", "privacydesk/staff.css"} <= manifest.keys()
    # The technician who takes the job in; production refuses demo users, so made by hand.
    _manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "from privacydesk.accounts.roles import assign_role; "
        "assign_role(get_user_model().objects.create_user('tessa', is_staff=True), 'technician')",
    )
    created = _manage(
        env, "vault", "job", "create", "--contact", "klant@example.nl", "--device", "NAS",
        "--json", "--user", "tessa",
    )  # fmt: skip
    job = json.loads(created)
    recovered = tmp_path / "foto.jpg"
    recovered.write_bytes(b"recovered photo")
    _manage(
        env, "vault", "put", "--job", str(job["id"]), str(recovered), "--no-progress",
        "--user", "tessa",
    )  # fmt: skip
    portal = urlsplit(job["link"]).path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "privacydesk", "run", "--port", str(port), "--no-worker",
         "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        pages = ["/", "/privacy/", "/en/privacy/", "/privacy/versions/", "/cookies/", portal]
        pages += ["/en/cookies/", "/staff/login/"]
        for page in pages:
            status, _, html = _get(base + page)
            assert status == 200, (page, status, html[:500])
            sheets = STYLESHEET.findall(html)
            ours = [href for href in sheets if HASHED.search(href)]
            assert ours, (page, sheets)
            for href in sheets:
                status, content_type, css = _get(urljoin(base + page, href))
                assert status == 200, (page, href)
                assert content_type.startswith("text/css"), (page, href, content_type)
                assert "{" in css
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "Missing staticfiles manifest entry" not in output
