"""The queue and the workers are settings of the installation: the administrator's alone."""

from privacydesk.spine.roles import ADMIN

GRANTS = {
    ADMIN: {
        "django_tasks_database.view_dbtaskresult",
        "jobs.view_periodicrun",
        "jobs.view_workerheartbeat",
    },
}
