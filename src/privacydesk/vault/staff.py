"""The vault's back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.vault import staff_views as vault

urlpatterns = [
    path("vault/jobs/", vault.jobs, name="vault_jobs"),
    path("vault/jobs/<int:job_id>/", vault.job_detail, name="vault_job"),
    path("vault/jobs/<int:job_id>/upload/", vault.upload, name="vault_upload"),
    path("vault/jobs/<int:job_id>/unlock/", vault.unlock, name="vault_unlock"),
    path("vault/jobs/<int:job_id>/revoke/", vault.revoke, name="vault_revoke"),
    path("vault/jobs/<int:job_id>/new-link/", vault.issue_link, name="vault_issue_link"),
    path("vault/items/<uuid:item_id>/hold/", vault.hold, name="vault_hold"),
    path("vault/certificates/<int:certificate_id>/", vault.certificate, name="vault_certificate"),
]
