from django.urls import path

from privacydesk.consent import views

app_name = "consent"
urlpatterns = [
    path("consent/banner.json", views.config, name="config"),
    path("consent/decide/", views.decide, name="decide"),
]
