from django.urls import path

from privacydesk.policy import views

app_name = "policy"
urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/versions/", views.versions, name="versions"),
    path("privacy/versions/compare/", views.version_diff, name="diff"),
    path("privacy/versions/<int:number>/", views.version_detail, name="version"),
    path("cookies/", views.cookies, name="cookies"),
]
