from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "privacydesk.tracking"
    label = "tracking"
    verbose_name = _("Website tracking")

    def ready(self) -> None:
        from privacydesk.consent.services import decided
        from privacydesk.tracking import services

        decided.connect(services.on_decision, dispatch_uid="tracking.on_decision")
