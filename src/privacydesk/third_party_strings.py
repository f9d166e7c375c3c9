"""English strings of other packages that our catalogue translates (one language per page).

Django looks a message up in every catalogue it has, ours first (``LOCALE_PATHS``), so a
string that a package marks for translation (``gettext_lazy``, ``pgettext_lazy``,
``{% translate %}``) but ships no Dutch for is shown in Dutch as soon as our catalogue has
its msgid. ``makemessages`` only reads our own sources, so this module names those msgids,
exactly as the packages spell them (and with the same context), for it to extract. It is
never imported; the packages' code does the translating at run time, so nothing here
changes their models or their migration state.

Strings a package does not mark for translation (django-otp's field names and help texts,
django-tasks-db's ``"traceback"`` and ``"run after"`` columns, models' ``__str__``) cannot
be reached this way: the ModelAdmins in ``accounts/admin_signin.py`` and ``jobs/admin.py``
label those columns and fields themselves, and ``third_party_apps.py`` names the records.

Check a package upgrade with ``backoffice/tests/test_admin_labels.py``: it fails on any
admin label that is still the same in Dutch and English.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

AXES = [
    # axes/models.py: fields of the lock-out records
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    # axes/admin.py: filters, fieldsets and the status column
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
]

TASKS_DB = [
    # django_tasks_db/models.py: fields of a task result
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]

TASK_STATUSES = [
    # django_tasks/base.py: TaskResultStatus
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
]

DJANGO_ADMIN = [
    # django/contrib/admin/templates/admin/app_list.html: the sidebar's table headers, read
    # out by screen readers; Django's Dutch catalogue does not have them yet.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
