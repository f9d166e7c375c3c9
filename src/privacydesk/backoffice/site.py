"""The staff back office at /staff/: Django's admin, branded, behind password + TOTP."""

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
        from privacydesk.accounts import views as account_views
        from privacydesk.backoffice import views
        from privacydesk.policy import views as policy_views
        from privacydesk.vault import staff_views as vault

        own = [
            path("2fa/", account_views.otp, name="otp"),
            path("2fa/enrol/", account_views.otp_enrol, name="otp_enrol"),
            path("password/set/done/", account_views.password_set_done, name="password_set_done"),
            path("password/set/<uidb64>/<token>/", account_views.password_set, name="password_set"),
            path("outbox/", self.admin_view(views.outbox_list), name="outbox"),
            path(
                "outbox/<str:name>/", self.admin_view(views.outbox_message), name="outbox_message"
            ),
            path("register/", self.admin_view(policy_views.register_page), name="art30_register"),
            path(
                "register/export.<str:fmt>",
                self.admin_view(policy_views.register_export),
                name="art30_register_export",
            ),
            path("vault/jobs/", self.admin_view(vault.jobs), name="vault_jobs"),
            path("vault/jobs/<int:job_id>/", self.admin_view(vault.job_detail), name="vault_job"),
            path(
                "vault/jobs/<int:job_id>/upload/",
                self.admin_view(vault.upload),
                name="vault_upload",
            ),
            path(
                "vault/jobs/<int:job_id>/unlock/",
                self.admin_view(vault.unlock),
                name="vault_unlock",
            ),
            path(
                "vault/jobs/<int:job_id>/revoke/",
                self.admin_view(vault.revoke),
                name="vault_revoke",
            ),
            path(
                "vault/jobs/<int:job_id>/new-link/",
                self.admin_view(vault.issue_link),
                name="vault_issue_link",
            ),
            path(
                "vault/items/<uuid:item_id>/hold/", self.admin_view(vault.hold), name="vault_hold"
            ),
            path(
                "vault/certificates/<int:certificate_id>/",
                self.admin_view(vault.certificate),
                name="vault_certificate",
            ),
        ]
        return own + super().get_urls()

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
        from privacydesk.backoffice.panels import panels_for

        extra_context = {**(extra_context or {}), "panels": panels_for(request)}
        return super().index(request, extra_context)
