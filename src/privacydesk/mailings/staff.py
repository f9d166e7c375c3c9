"""The newsletter's back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.mailings import staff_views as views

urlpatterns = [
    path("mailings/", views.overview, name="mailings"),
    path("mailings/lists/<slug:slug>/", views.subscribers, name="mailings_subscribers"),
    path("mailings/campaigns/new/", views.campaign_new, name="mailings_campaign_new"),
    path("mailings/campaigns/<int:campaign_id>/", views.campaign, name="mailings_campaign"),
    path(
        "mailings/campaigns/<int:campaign_id>/test/",
        views.campaign_test,
        name="mailings_campaign_test",
    ),
    path(
        "mailings/campaigns/<int:campaign_id>/send/",
        views.campaign_send,
        name="mailings_campaign_send",
    ),
    path("mailings/suppression/", views.suppression, name="mailings_suppression"),
]
