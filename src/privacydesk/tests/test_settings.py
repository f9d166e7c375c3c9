"""Settings come from the environment; a bad value stops start-up naming the variable.

Most cases run the settings module in-process (``runpy``, with the environment patched): the
same code a start-up runs. A real process is started where the process is the point: a bad
value makes start-up itself fail, ``check --deploy`` in production, WAL mode of a new database.
"""

import base64
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from privacydesk import conf
from privacydesk.testing import settings_with

GOOD_KEY = "k" * 64


def _privacydesk(args, env_extra, tmp_path, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EMAIL_URL"}}
    env.update({"PRIVACYDESK_DATA_DIR": str(tmp_path / "data"), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "privacydesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _settings(env_extra, tmp_path) -> dict:
    """The settings module run with the environment ``_privacydesk`` would give a process."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EMAIL_URL"}}
    return settings_with({**env, "PRIVACYDESK_DATA_DIR": str(tmp_path / "data"), **env_extra})


def _refused(env_extra, tmp_path) -> str:
    with pytest.raises(ImproperlyConfigured) as refused:
        _settings(env_extra, tmp_path)
    return str(refused.value)


def test_a_bad_value_stops_the_process_naming_the_variable(tmp_path):
    result = _privacydesk(["check"], {"PRIVACYDESK_JOB_ATTEMPTS": "three"}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PRIVACYDESK_JOB_ATTEMPTS" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "name,value",
    [
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "postgres://"),
        ("EMAIL_URL", "imap://mail.example.nl"),
        ("EMAIL_URL", "smtp://:25"),
        ("PRIVACYDESK_PRODUCTION", "maybe"),
        ("PRIVACYDESK_JOB_ATTEMPTS", "three"),
        ("PRIVACYDESK_JOB_ATTEMPTS", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("SECRET_KEY", "short"),
        ("SECRET_KEY_FILE", "/nonexistent/secret"),
        ("PRIVACYDESK_VAULT_MASTER_KEY", "c2hvcnQ="),
        ("PRIVACYDESK_PSEUDONYM_KEYS", "c2hvcnQ="),
        ("PRIVACYDESK_VAULT_STORAGE", "ftp"),
        ("PRIVACYDESK_VAULT_RETENTION", "1 month"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    assert name.removesuffix("_FILE") in _refused({name: value}, tmp_path)


def test_production_needs_explicit_vault_keys(tmp_path):
    base = {"PRIVACYDESK_PRODUCTION": "1", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "x.nl"}
    assert "PRIVACYDESK_VAULT_MASTER_KEY" in _refused(base, tmp_path)
    base["PRIVACYDESK_VAULT_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    assert "PRIVACYDESK_SIGNING_KEY" in _refused(base, tmp_path)
    base["PRIVACYDESK_SIGNING_KEY"] = conf.signing_key_pem(tmp_path, production=False)
    assert "PRIVACYDESK_PSEUDONYM_KEYS" in _refused(base, tmp_path)
    base["PRIVACYDESK_PSEUDONYM_KEYS"] = base64.b64encode(os.urandom(32)).decode()
    assert _settings(base, tmp_path)["DEBUG"] is False


def test_production_needs_secret_key_and_hosts(tmp_path):
    assert "SECRET_KEY" in _refused({"PRIVACYDESK_PRODUCTION": "1"}, tmp_path)
    no_hosts = {"PRIVACYDESK_PRODUCTION": "1", "SECRET_KEY": GOOD_KEY}
    assert "ALLOWED_HOSTS" in _refused(no_hosts, tmp_path)


def test_deploy_check_is_clean_in_production(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "Zx9-" * 10)
    signing_key = tmp_path / "signing.pem"
    signing_key.write_text(conf.signing_key_pem(tmp_path, production=False))
    result = _privacydesk(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "PRIVACYDESK_PRODUCTION": "1",
            "SECRET_KEY_FILE": str(key_file),
            "ALLOWED_HOSTS": "privacy.compjoeter.nl",
            "PRIVACYDESK_VAULT_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "PRIVACYDESK_SIGNING_KEY_FILE": str(signing_key),
            "PRIVACYDESK_PSEUDONYM_KEYS": base64.b64encode(os.urandom(32)).decode(),
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_embedded_secret_key_is_generated_once_and_private(tmp_path):
    first = conf.secret_key(tmp_path, production=False)
    second = conf.secret_key(tmp_path, production=False)
    assert first == second and len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_pseudonym_keys_generated_once_or_listed_newest_first(tmp_path, monkeypatch):
    monkeypatch.delenv("PRIVACYDESK_PSEUDONYM_KEYS", raising=False)
    [first] = conf.pseudonym_keys(tmp_path, production=False)
    assert conf.pseudonym_keys(tmp_path, production=False) == (first,) and len(first) == 32
    assert (tmp_path / "pseudonym_keys").stat().st_mode & 0o077 == 0
    new, old = os.urandom(32), os.urandom(40)
    listed = f"{base64.b64encode(new).decode()},\n{base64.b64encode(old).decode()}"
    monkeypatch.setenv("PRIVACYDESK_PSEUDONYM_KEYS", listed)
    assert conf.pseudonym_keys(tmp_path, production=True) == (new, old)
    monkeypatch.setenv("PRIVACYDESK_PSEUDONYM_KEYS", base64.b64encode(b"short").decode())
    with pytest.raises(ImproperlyConfigured, match="PRIVACYDESK_PSEUDONYM_KEYS"):
        conf.pseudonym_keys(tmp_path, production=False)


def test_secret_from_file_and_not_both(tmp_path, monkeypatch):
    secret = tmp_path / "s"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("EMAIL_URL_FILE", str(secret))
    assert conf.env_secret("EMAIL_URL") == "from-a-file"
    monkeypatch.setenv("EMAIL_URL", "smtp://x")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        conf.env_secret("EMAIL_URL")


@pytest.mark.parametrize(
    "url,host,port,user,password,tls,ssl",
    [
        ("smtp://mail.example.nl", "mail.example.nl", 25, "", "", False, False),
        (
            "smtp+tls://u%40x:p%3Aw@mail.example.nl",
            "mail.example.nl",
            587,
            "u@x",
            "p:w",
            True,
            False,
        ),
        ("smtp+ssl://u:pw@mail.example.nl:2465", "mail.example.nl", 2465, "u", "pw", False, True),
    ],
)
def test_email_url(url, host, port, user, password, tls, ssl):
    config = conf.email(url)
    assert config.backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (config.host, config.port, config.user, config.password) == (host, port, user, password)
    assert (config.use_tls, config.use_ssl) == (tls, ssl)


def test_no_email_url_means_outbox():
    assert conf.email("").backend == "privacydesk.backoffice.outbox.OutboxBackend"


def test_database_url_postgres_and_default_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://pd:secret@db.internal:5433/privacydesk")
    config = conf.database(tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "privacydesk")
    monkeypatch.delenv("DATABASE_URL")
    config = conf.database(tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "privacydesk.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] > 0


def test_embedded_sqlite_runs_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])\n"
    )
    result = _privacydesk(["shell", "-c", code], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    mode, timeout = result.stdout.split()[-2:]
    assert mode == "wal"
    assert int(timeout) >= 10000


def test_embedded_secret_key_survives_a_simultaneous_first_start(tmp_path):
    """Web server and worker start together on a new data dir; both must get the same key."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: conf.secret_key(tmp_path, production=False), range(32)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
