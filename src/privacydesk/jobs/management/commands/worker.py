"""``privacydesk worker``: run background jobs and the periodic sweeps."""

from django.core.management.base import BaseCommand

from privacydesk.jobs.worker import Worker


class Command(BaseCommand):
    help = "Run queued background jobs and enqueue periodic sweeps (retention, reminders, ...)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--batch", action="store_true", help="run the jobs that are ready, then exit"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after N jobs")
        parser.add_argument("--queue", default="*", help="comma-separated queue names, * = all")
        parser.add_argument("--worker-id", default=None, help="unique id (default: random)")

    def handle(self, *args, interval, batch, max_tasks, queue, worker_id, **options):
        kwargs = {"worker_id": worker_id} if worker_id else {}
        worker = Worker(
            interval=interval,
            batch=batch,
            max_tasks=max_tasks,
            queue_names=queue.split(","),
            **kwargs,
        )
        worker.install_signal_handlers()
        if options["verbosity"] > 0:
            self.stdout.write(f"worker {worker.worker_id} started")
        ran = worker.run()
        if options["verbosity"] > 0:
            self.stdout.write(f"worker {worker.worker_id} stopped after {ran} jobs")
