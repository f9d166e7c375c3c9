from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "privacydesk.registers"
    label = "registers"
    verbose_name = _("Registers")
    default_auto_field = "django.db.models.BigAutoField"
