"""``privacydesk run``: the web server (gunicorn) and the worker together, for embedded mode.

Before it starts its children it records the address it serves on in the data directory
(``served_url``): that is ``SITE_URL``'s default, so a customer link made by the worker or
by ``privacydesk vault job create`` in another shell points where this server listens.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from privacydesk import conf


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def served_url(host: str, port: int) -> str:
    """The address a browser uses for this server: a wildcard host (all interfaces) is
    reached by this machine's name."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - naming the wildcard, not binding to it
        host = socket.getfqdn()
    return f"http://{bind_address(host, port)}"


class Command(BaseCommand):
    help = "Serve the site with gunicorn and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per web process")
        parser.add_argument(
            "--no-worker", action="store_true", help="serve only; run workers elsewhere"
        )

    def handle(self, *args, host, port, web_workers, threads, no_worker, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        web = [
            sys.executable, "-m", "gunicorn", "privacydesk.wsgi:application",
            "--bind", bind_address(host, port),
            "--workers", str(web_workers), "--threads", str(threads),
            "--config", "python:privacydesk.gunicorn_conf", "--no-control-socket",
        ]  # fmt: skip
        url = served_url(host, port)
        conf.record_served_url(settings.DATA_DIR, url)
        children = [subprocess.Popen(web)]  # noqa: S603 - our own interpreter and fixed args
        if not no_worker:
            worker = [sys.executable, "-m", "privacydesk", "worker"]
            children.append(subprocess.Popen(worker))  # noqa: S603 - fixed args
        self.stdout.write(f"Privacydesk at {url}/staff/")
        links = conf.site_url(settings.DATA_DIR)  # read again: what the children see
        if links != url:
            self.stdout.write(f"Customer links start with SITE_URL: {links}")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        try:
            while not stopping:
                for child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{child.args[2]} stopped (exit {child.returncode})")
                        exit_code = child.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            raise CommandError("a child process stopped unexpectedly", returncode=exit_code)
