from django.urls import path

from privacydesk.tracking import views

app_name = "tracking"
urlpatterns = [
    path("t/", views.collect, name="collect"),
]
