"""The tracking endpoint under load, beside a trivial view of the same server, on SQLite and
PostgreSQL.

    .venv/bin/python bench/tracking.py [--quick] [--postgres URL | --no-postgres]

Per database: a fresh data folder (and, for PostgreSQL, a fresh database), ``migrate`` and
``collectstatic``, then gunicorn in production mode (manifest storage, secure settings, the
product's gunicorn configuration with its access log), 2 workers for the 2 cores. 200 visitors
accept everything through the banner's own endpoint; then Debian's ``wrk`` loads, from
loopback, first a trivial view (``HttpResponse("ok")``, through the same middleware) and then
``POST /t/`` with page views of 200 consenting visitors in turn, 30 s each (``--quick``: 5 s)
after a short warm-up.
Every answer is counted by status (202 stored, 204 dropped). The 202s are counted exactly
from the server's own access log (wrk misses the answers that come after its last second):
afterwards the events in the database are counted with ``privacydesk tracking stats --json``
(after the server stopped, so what the workers still held is written), and ``lost`` is the
202s the server sent minus the events stored. It must be 0; a negative figure would mean
events were stored that were never answered 202, and is shown as it is.

Ends with one line per database (SQLite first, then PostgreSQL)::

    RESULT events_s=.. trivial_s=.. ratio=.. p99_ms=.. errors=.. lost=..

Needs Debian's ``wrk`` (``apt-get install wrk``). Also prints the banner's size gzipped.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "privacydesk"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156"
WORKERS = 2
THREADS = 2
CONNECTIONS = 16
VISITORS = 200  # page views come from this many consent ids in turn

BENCH_SETTINGS = """from privacydesk.settings import *  # noqa: F403
ROOT_URLCONF = "bench_urls"
"""
BENCH_URLS = """from django.http import HttpResponse
from django.urls import path

from privacydesk.urls import *  # noqa: F403
from privacydesk.urls import urlpatterns as product


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *product]
"""

WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) accepted = 0; dropped = 0; other = 0 end
function response(status, headers, body)
  if status == 202 or status == 200 then accepted = accepted + 1
  elseif status == 204 then dropped = dropped + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, d, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); d = d + t:get("dropped"); o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f accepted=%d dropped=%d other=%d "
    .. "socket_errors=%d p99_us=%d\\n", summary.requests, summary.duration / 1e6, a, d, o,
    e.connect + e.read + e.write + e.timeout, latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(data: Path, database_url: str | None) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PRIVACYDESK_DATA_DIR=str(data),
        PRIVACYDESK_PRODUCTION="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1",
        PRIVACYDESK_SSL_REDIRECT="0",
        PRIVACYDESK_HSTS_SECONDS="0",
        PRIVACYDESK_VAULT_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        PRIVACYDESK_PSEUDONYM_KEYS=base64.b64encode(secrets.token_bytes(32)).decode(),
        PRIVACYDESK_SIGNING_KEY=signing.decode(),
        # One visitor from one address sends everything: the flood limits would stop it.
        PRIVACYDESK_TRACKING_VISITOR_PER_MINUTE="1000000000",
        PRIVACYDESK_TRACKING_ADDRESS_PER_MINUTE="1000000000",
        # The 200 consenting visitors decide from one address too.
        PRIVACYDESK_CONSENT_NETWORK_PER_MINUTE="1000000000",
        PYTHONPATH=f"{data}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        DJANGO_SETTINGS_MODULE="bench_settings",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "privacydesk", *args], env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"privacydesk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn stopped")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - our own server on loopback
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "text/plain", "User-Agent": UA},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def consenting_visitors(base: str, n: int) -> list[str]:
    """``n`` visitors who accepted everything through the banner's endpoint."""
    with urllib.request.urlopen(f"{base}/consent/banner.json", timeout=10) as response:  # noqa: S310
        version = json.loads(response.read())["version"]
    ids = []
    for _ in range(n):
        receipt = post(f"{base}/consent/decide/", {"action": "accept_all", "version": version})
        assert receipt["tracking"], receipt
        ids.append(receipt["id"])
    return ids


def wrk(url: str, seconds: int, script: Path) -> dict:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if not match:
        raise SystemExit(f"wrk gave no figures:\n{done.stdout}{done.stderr}")
    figures = dict(item.split("=") for item in match.group(1).split())
    return {k: float(v) for k, v in figures.items()}


def write_script(path: Path, *, method: str, bodies: list[str] = ()) -> Path:
    """A wrk script; with ``bodies`` each request sends the next one in turn."""
    head = [f'wrk.method = "{method}"', f'wrk.headers["User-Agent"] = "{UA}"']
    if bodies:
        head += [
            'wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"',
            "bodies = {" + ",".join(f"[[{b}]]" for b in bodies) + "}",
            "local turn = 0",
            "request = function() turn = turn % #bodies + 1;"
            " return wrk.format(nil, nil, nil, bodies[turn]) end",
        ]
    path.write_text("\n".join(head) + WRK_SCRIPT)
    return path


def stored_events(env: dict[str, str]) -> int:
    figures = json.loads(manage(env, "tracking", "stats", "--json"))
    return sum(figures["events"].values())


ACCEPTED_LINE = re.compile(r'"POST /t/ HTTP/1\.[01]" 202 ')


def accepted_in_log(log: Path) -> int:
    """The 202s the server answered to ``POST /t/``, from its access log."""
    with log.open(encoding="utf-8", errors="replace") as lines:
        return sum(1 for line in lines if ACCEPTED_LINE.search(line))


def run(label: str, database_url: str | None, seconds: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix="pd-bench-tracking-"))
    try:
        (data / "bench_settings.py").write_text(BENCH_SETTINGS)
        (data / "bench_urls.py").write_text(BENCH_URLS)
        if database_url:
            fresh_postgres(database_url)
        env = production_env(data, database_url)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = data / "server.log"  # the access log: every answer with its status
        server_log = log.open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "privacydesk.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS),
             "--config", "python:privacydesk.gunicorn_conf", "--no-control-socket"],
            env=env, stdout=server_log, stderr=server_log,
        )  # fmt: skip
        try:
            wait_until_up(base, server)
            events = [
                json.dumps({"c": visitor, "t": "pageview", "u": f"https://www.compjoeter.nl/p{i}/"})
                for i, visitor in enumerate(consenting_visitors(base, VISITORS))
            ]
            trivial_lua = write_script(data / "trivial.lua", method="GET")
            track_lua = write_script(data / "track.lua", method="POST", bodies=events)
            wrk(f"{base}/bench/trivial", 2, trivial_lua)  # warm up both
            warm = wrk(f"{base}/t/", 2, track_lua)
            trivial = wrk(f"{base}/bench/trivial", seconds, trivial_lua)
            tracking = wrk(f"{base}/t/", seconds, track_lua)
            time.sleep(1)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            server_log.close()
        stored = stored_events(env)
        accepted = accepted_in_log(log)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    counted = int(warm["accepted"] + tracking["accepted"])
    if accepted < counted:
        raise SystemExit(f"the access log holds {accepted} 202s, wrk counted {counted}")
    events_s = tracking["accepted"] / tracking["seconds"]
    trivial_s = trivial["requests"] / trivial["seconds"]
    return {
        "label": label,
        "events_s": events_s,
        "trivial_s": trivial_s,
        "ratio": events_s / trivial_s,
        "p99_ms": tracking["p99_us"] / 1000,
        "trivial_p99_ms": trivial["p99_us"] / 1000,
        "errors": int(
            tracking["socket_errors"]
            + tracking["other"]
            + tracking["dropped"]
            + trivial["socket_errors"]
            + trivial["other"]
        ),
        "accepted": accepted,
        "late": accepted - counted,  # answered after wrk's last second
        "stored": stored,
        "lost": accepted - stored,
    }


def banner_size() -> tuple[int, int]:
    js = (PACKAGE / "consent/static/consent/banner.js").read_bytes()
    css = (PACKAGE / "consent/static/consent/banner.css").read_bytes()
    tracker = (PACKAGE / "tracking/static/tracking/t.js").read_bytes()
    return len(gzip.compress(js + css, 9)), len(gzip.compress(tracker, 9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per load instead of 30 s")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pd_bench_tracking"
        ),
        help="PostgreSQL URL whose database is dropped and created (default: %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per worker")
    args = parser.parse_args()
    globals()["THREADS"] = args.threads
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    seconds = 5 if args.quick else 30
    runs = [run("SQLite (WAL)", None, seconds)]
    if not args.no_postgres:
        runs.append(run("PostgreSQL", args.postgres, seconds))
    banner, tracker = banner_size()
    print(f"tracking endpoint, gunicorn production mode, {WORKERS} workers x {THREADS} threads, "
          f"wrk -t2 -c{CONNECTIONS}, {seconds} s per load, loopback")  # fmt: skip
    print(f"{'database':<14}{'events/s':>10}{'trivial/s':>11}{'ratio':>7}{'p99 ms':>8}"
          f"{'trivial p99':>13}{'errors':>8}{'202s':>9}{'late':>6}{'stored':>9}"
          f"{'lost':>6}")  # fmt: skip
    for r in runs:
        print(f"{r['label']:<14}{r['events_s']:>10,.0f}{r['trivial_s']:>11,.0f}{r['ratio']:>7.2f}"
              f"{r['p99_ms']:>8.1f}{r['trivial_p99_ms']:>13.1f}{r['errors']:>8}"
              f"{r['accepted']:>9,}{r['late']:>6}{r['stored']:>9,}{r['lost']:>6}")  # fmt: skip
    print(f"banner.js + banner.css gzipped: {banner:,} bytes; t.js gzipped: {tracker:,} bytes")
    for r in runs:
        print(f"RESULT events_s={r['events_s']:.0f} trivial_s={r['trivial_s']:.0f} "
              f"ratio={r['ratio']:.2f} p99_ms={r['p99_ms']:.1f} errors={r['errors']} "
              f"lost={r['lost']}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
