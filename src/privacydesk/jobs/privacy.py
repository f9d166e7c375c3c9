from privacydesk.spine.registry import exempt

exempt("jobs.PeriodicRun", "names of periodic jobs")
exempt("jobs.WorkerHeartbeat", "host name and process id of a server")
exempt(
    "django_tasks_database.DBTaskResult",
    "jobs are enqueued with object ids, never personal data; finished jobs are pruned after "
    "30 days (failed: 90 days) by jobs.prune_finished",
)
