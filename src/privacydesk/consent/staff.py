"""The consent look-up under /staff/consent/ (privacy officer, admin)."""

from django.urls import path

from privacydesk.consent import staff_views

urlpatterns = [
    path("consent/", staff_views.lookup, name="consent_lookup"),
]
