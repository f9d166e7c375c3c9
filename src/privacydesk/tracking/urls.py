from django.urls import path

from privacydesk.tracking import download_views, views

app_name = "tracking"
urlpatterns = [
    path("t/", views.collect, name="collect"),
    path("downloads/", download_views.listing, name="downloads"),
    path("downloads/file/<str:token>/<str:name>", download_views.file, name="download_file"),
    path("downloads/<slug:slug>/", download_views.form, name="download"),
    path("downloads/<slug:slug>/forget/", download_views.forget, name="download_forget"),
    path("downloads/<slug:slug>/ready/<str:token>/", download_views.ready, name="download_ready"),
]
