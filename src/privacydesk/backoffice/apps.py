from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the Privacydesk staff site (2FA, panels) as the default site."""

    default = False
    default_site = "privacydesk.backoffice.site.StaffSite"


class BackofficeConfig(AppConfig):
    default = True
    name = "privacydesk.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        """Import every app's panels and checks (``spine.plugins``): they register themselves."""
        from privacydesk.spine import plugins

        plugins.discover()
