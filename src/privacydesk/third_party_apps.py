"""Names in the page's language for the third-party apps the back office shows.

django-axes, django-otp's TOTP plugin and django-tasks-db bring no Dutch and, for two of
them, no app name at all: the Dutch admin home read "AXES / Access attempts", "OTP_TOTP /
TOTP devices" and "TASKS DATABASE BACKEND". These AppConfig subclasses (named in
``INSTALLED_APPS`` instead of the packages' own) give each app a translated name and its
models translated verbose names through our catalogue. The model names keep the packages'
English msgids, so the migration state does not change (Django builds it from each model's
``Meta``, not from the names set here).
"""

from __future__ import annotations

from axes.apps import AppConfig as _AxesConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as _TOTPConfig
from django_tasks_db.apps import TasksAppConfig as _TasksDBConfig


def _name_models(config, names: dict[str, tuple[object, object]]) -> None:
    for model_name, (singular, plural) in names.items():
        meta = config.get_model(model_name)._meta
        meta.verbose_name = singular
        meta.verbose_name_plural = plural


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
