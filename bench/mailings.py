"""Newsletter sending speed and memory: a campaign through the worker against a bare smtplib loop.

    .venv/bin/python bench/mailings.py [--quick]

A campaign to 10,000 confirmed subscribers (``--quick``: 2,000) is sent by a real
``privacydesk worker --batch`` process (claims, handover marks, one SMTP connection, no rate
limit) to a local aiosmtpd sink running in its own process. The reference, in the same run,
is a bare ``smtplib`` loop sending the same rendered messages over one connection. Both are
timed by the sink (first to last message received), so process start-up is not counted.
Peak memory is the worker process's maximum resident set size (VmHWM), for a campaign to 1,000
recipients and to 10,000. Runs on a throw-away SQLite database (``DATABASE_URL`` for
PostgreSQL) in a temporary data folder.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# VmHWM, not getrusage's ru_maxrss: Linux carries the parent's peak over into the child's
# ru_maxrss at fork and exec, and the parent holds the bare loop's 10,000 rendered messages.
LAUNCHER = """
import atexit, sys
out = sys.argv.pop(1)
peak = lambda: open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
atexit.register(lambda: open(out, "w").write(peak()))
from privacydesk.__main__ import main
sys.argv = ["privacydesk", "worker", "--batch", "-v0"]
main()
"""


def sink(port, count, first, last, ready) -> None:
    """An aiosmtpd server that only counts (and timestamps) what it accepts."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            now = time.perf_counter()
            with count.get_lock():
                if count.value == 0:
                    first.value = now
                count.value += 1
                last.value = now
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def setup(port: int) -> Path:
    data = Path(tempfile.mkdtemp(prefix="pd-bench-"))
    os.environ["PRIVACYDESK_DATA_DIR"] = str(data)
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["PRIVACYDESK_MAILINGS_RATE"] = "0"
    os.environ["SITE_URL"] = "https://www.example.nl"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacydesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data


def make_list(slug: str, n: int):
    from django.utils import timezone

    from privacydesk.mailings.models import MailingList, Subscription

    mailing_list = MailingList.objects.create(slug=slug, title_nl="Bench", title_en="Bench")
    now = timezone.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                mailing_list=mailing_list,
                email=f"lezer{i:05d}@example.nl",
                name=f"Lezer {i}",
                state="confirmed",
                basis="consent",
                language="nl" if i % 4 else "en",
                created_at=now,
                confirmed_at=now,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    return mailing_list


MARKDOWN = (
    "# December\n\n"
    + "Nieuws over **dataherstel** en [onze diensten](https://www.compjoeter.nl).\n\n" * 20
)


class Counter:
    def __init__(self, count, first, last):
        self.count, self.first, self.last = count, first, last

    def reset(self) -> None:
        with self.count.get_lock():
            self.count.value = 0

    def wait(self, n: int, timeout: float = 1800) -> float:
        deadline = time.monotonic() + timeout
        while self.count.value < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"the sink received {self.count.value} of {n}")
            time.sleep(0.05)
        return (n - 1) / (self.last.value - self.first.value)


def worker_run(data: Path, campaign_id: int, n: int, counter: Counter) -> tuple[float, float]:
    """Queue the campaign, run a worker process over it; (messages/s, peak MiB)."""
    from privacydesk.mailings import services
    from privacydesk.mailings.models import Campaign

    counter.reset()
    services.queue_campaign(campaign_id, actor="system:bench")
    peak_file = data / f"peak-{campaign_id}"
    subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(peak_file)], check=True, env=os.environ.copy()
    )
    rate = counter.wait(n)
    assert Campaign.objects.get(pk=campaign_id).state == "sent"
    return rate, int(peak_file.read_text()) / 1024


def bare_run(campaign_id: int, port: int, n: int, counter: Counter) -> float:
    """The same rendered messages, one smtplib connection, nothing recorded."""
    from privacydesk.mailings import render, services
    from privacydesk.mailings.models import Campaign

    campaign = Campaign.objects.select_related("mailing_list").get(pk=campaign_id)
    renderer = render.Renderer(campaign)
    subscriptions = campaign.mailing_list.subscriptions.select_related("mailing_list")
    messages = []
    for subscription in subscriptions.order_by("pk"):
        message = renderer.message(subscription, unsubscribe=services.unsubscribe_url(subscription))
        messages.append((subscription.email, message.message().as_bytes(linesep="\r\n")))
    counter.reset()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, data in messages:
            smtp.sendmail("verkoop@compjoeter.nl", [to], data)
    return counter.wait(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 recipients, not 10,000")
    args = parser.parse_args()
    big = 2000 if args.quick else 10000
    small = 1000

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    count, first, last = (multiprocessing.Value("q", 0), multiprocessing.Value("d", 0.0),
                          multiprocessing.Value("d", 0.0))  # fmt: skip
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=sink, args=(port, count, first, last, ready), daemon=True
    )
    server.start()
    ready.wait(30)
    counter = Counter(count, first, last)
    try:
        data = setup(port)
        from privacydesk.mailings import services

        campaigns = {}
        for n in (small, big):
            make_list(f"bench{n}", n)
            campaigns[n] = services.create_campaign(
                f"bench{n}", subject="Nieuws in december", markdown=MARKDOWN,
                actor="system:bench",
            ).pk  # fmt: skip
        bare_small = bare_run(campaigns[small], port, small, counter)
        send_small, peak_small = worker_run(data, campaigns[small], small, counter)
        bare_big = bare_run(campaigns[big], port, big, counter)
        send_big, peak_big = worker_run(data, campaigns[big], big, counter)
    finally:
        server.kill()
    ratio = send_big / bare_big
    database = os.environ.get("DATABASE_URL", "").split(":", 1)[0] or "sqlite"
    print(f"database: {database}")
    print(
        f"{'recipients':>10} {'worker msg/s':>13} {'bare msg/s':>11} {'ratio':>6} {'peak MiB':>9}"
    )
    print(f"{small:>10} {send_small:>13.0f} {bare_small:>11.0f} {send_small / bare_small:>6.2f} "
          f"{peak_small:>9.1f}")  # fmt: skip
    print(f"{big:>10} {send_big:>13.0f} {bare_big:>11.0f} {ratio:>6.2f} {peak_big:>9.1f}")
    print(
        f"RESULT send_msg_s={send_big:.0f} bare_msg_s={bare_big:.0f} ratio={ratio:.2f} "
        f"peak_mib_1k={peak_small:.1f} peak_mib_10k={peak_big:.1f}"
    )


if __name__ == "__main__":
    main()
