"""Names in the page's language for the third-party apps the back office shows.

django-axes, django-otp's TOTP plugin and django-tasks-db bring no Dutch and, for two of
them, no app name at all: the Dutch admin home read "AXES / Access attempts", "OTP_TOTP /
TOTP devices" and "TASKS DATABASE BACKEND". These AppConfig subclasses (named in
``INSTALLED_APPS`` instead of the packages' own) give each app a translated name and its
models translated verbose names through our catalogue. The model names keep the packages'
English msgids, so the migration state does not change (Django builds it from each model's
``Meta``, not from the names set here).

The packages' records also name themselves in English (axes: "Attempted Access: <time>",
django-tasks-db: "DBTaskResult object (<id>)"), and that name is the title and breadcrumb of
each record's admin page; ``__str__`` is replaced here by one in the page's language. It is
not part of any migration state either. Field labels and help texts: see
``third_party_strings.py``.
"""

from __future__ import annotations

from axes.apps import AppConfig as _AxesConfig
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as _TOTPConfig
from django_tasks_db.apps import TasksAppConfig as _TasksDBConfig


def _name_models(config, names: dict[str, tuple[object, object]]) -> None:
    for model_name, (singular, plural) in names.items():
        meta = config.get_model(model_name)._meta
        meta.verbose_name = singular
        meta.verbose_name_plural = plural


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def _attempt_str(self) -> str:
    return gettext("Failed sign-ins of %(username)s from %(address)s") % {
        "username": self.username or "?",
        "address": self.ip_address or "?",
    }


def _access_str(self) -> str:
    return gettext("Sign-in of %(username)s at %(time)s") % {
        "username": self.username or "?",
        "time": _when(self.attempt_time),
    }


def _failure_str(self) -> str:
    text = (
        gettext("Failed sign-in of %(username)s at %(time)s, locked out")
        if self.locked_out
        else gettext("Failed sign-in of %(username)s at %(time)s")
    )
    return text % {"username": self.username or "?", "time": _when(self.attempt_time)}


def _task_result_str(self) -> str:
    return gettext("Task %(name)s, queued at %(time)s") % {
        "name": self.task_name,
        "time": _when(self.enqueued_at),
    }


class AxesConfig(_AxesConfig):
    verbose_name = _("Sign-in protection")

    def ready(self) -> None:
        super().ready()
        _name_models(
            self,
            {
                "AccessAttempt": (_("access attempt"), _("access attempts")),
                "AccessLog": (_("access log"), _("access logs")),
                "AccessFailureLog": (_("access failure"), _("access failures")),
                "AccessAttemptExpiration": (
                    _("access attempt expiration"),
                    _("access attempt expirations"),
                ),
            },
        )
        self.get_model("AccessAttempt").__str__ = _attempt_str
        self.get_model("AccessLog").__str__ = _access_str
        self.get_model("AccessFailureLog").__str__ = _failure_str


class TOTPConfig(_TOTPConfig):
    verbose_name = _("Two-step sign-in")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"TOTPDevice": (_("TOTP device"), _("TOTP devices"))})


class TasksDBConfig(_TasksDBConfig):
    verbose_name = _("Job queue")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"DBTaskResult": (_("Task Result"), _("Task Results"))})
        self.get_model("DBTaskResult").__str__ = _task_result_str
