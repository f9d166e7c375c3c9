"""The rights app's back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.rights import staff_views as rights

urlpatterns = [
    path("rights/", rights.queue, name="rights_queue"),
    path("rights/new/", rights.new, name="rights_new"),
    path("rights/<int:request_id>/", rights.detail, name="rights_request"),
    path("rights/<int:request_id>/<str:action>/", rights.act, name="rights_act"),
    path("rights/attachments/<int:attachment_id>/", rights.attachment, name="rights_attachment"),
    path("rights/mailbox/<int:message_id>/raw/", rights.raw_message, name="rights_raw"),
]
