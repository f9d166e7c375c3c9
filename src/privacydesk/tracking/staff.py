"""Tracking's back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.tracking import staff_views as views

urlpatterns = [
    path("tracking/", views.overview, name="tracking"),
    path("tracking/downloads/", views.download_list, name="tracking_downloads"),
    path("tracking/downloads/new/", views.download_add, name="tracking_download_add"),
    path("tracking/downloads/<int:download_id>/", views.download_edit, name="tracking_download"),
    path("tracking/visitors/", views.visitor_list, name="tracking_visitors"),
    path("tracking/visitors/<str:visitor_id>/", views.visitor_detail, name="tracking_visitor"),
]
