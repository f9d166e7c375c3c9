from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromisesConfig(AppConfig):
    name = "privacydesk.promises"
    label = "promises"
    verbose_name = _("Promise board")
    default_auto_field = "django.db.models.BigAutoField"
