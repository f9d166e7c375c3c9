from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "privacydesk.accounts"
    label = "accounts"
    verbose_name = _("Staff and roles")

    def ready(self) -> None:
        from privacydesk.accounts import roles, signals  # noqa: F401 - connects receivers

        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
