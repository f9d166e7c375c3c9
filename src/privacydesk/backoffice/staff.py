"""The shell's own back-office pages: the local outbox reader."""

from django.urls import path

from privacydesk.backoffice import views

urlpatterns = [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<str:name>/", views.outbox_message, name="outbox_message"),
]
