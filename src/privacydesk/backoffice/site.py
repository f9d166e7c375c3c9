"""The staff back office at /staff/: Django's admin, branded, behind password + TOTP.

The shell knows no app's pages: each app hangs its own under /staff/ from its ``staff.py``
(``spine.staff``) and its home-page panels from its ``panels.py`` (``spine.panels``). The one
app named here is ``accounts``, which provides the site's sign-in.
"""

from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class StaffSite(OTPAdminSite):
    site_header = _("Privacydesk")
    site_title = _("Privacydesk")
    index_title = _("Back office")
    index_template = "backoffice/index.html"

    def get_urls(self):
        """The sign-in steps (accounts provides the site's sign-in), then every app's
        ``staff.py`` pages behind ``admin_view``, then Django's admin."""
        from privacydesk.accounts import views as account_views
        from privacydesk.spine.staff import staff_urlpatterns

        sign_in = [
            path("2fa/", account_views.otp, name="otp"),
            path("2fa/enrol/", account_views.otp_enrol, name="otp_enrol"),
            path("password/set/done/", account_views.password_set_done, name="password_set_done"),
            path("password/set/<uidb64>/<token>/", account_views.password_set, name="password_set"),
        ]
        return sign_in + staff_urlpatterns(self.admin_view) + super().get_urls()

    def login(self, request: HttpRequest, extra_context=None):
        from privacydesk.accounts.views import login

        return login(request)

    def password_change(self, request: HttpRequest, extra_context=None):
        """The signed-in person's own password (old one first), audited and announced."""
        from django.urls import reverse

        from privacydesk.accounts.views import OwnPasswordChangeView

        request.current_app = self.name
        return OwnPasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def index(self, request: HttpRequest, extra_context=None):
        from privacydesk.spine.panels import panels_for

        extra_context = {**(extra_context or {}), "panels": panels_for(request)}
        return super().index(request, extra_context)
