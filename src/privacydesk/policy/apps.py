from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "privacydesk.policy"
    label = "policy"
    verbose_name = _("Privacy model and policy")

    def ready(self) -> None:
        from privacydesk.policy import services

        post_migrate.connect(services.sync_after_migrate, sender=self)
