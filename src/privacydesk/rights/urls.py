from django.urls import path

from privacydesk.rights import views

app_name = "rights"
urlpatterns = [
    path("privacy/request/", views.request_form, name="form"),
    path("privacy/request/sent/", views.sent, name="sent"),
    path("privacy/request/verify/<str:token>/", views.verify, name="verify"),
    path("privacy/request/package/<str:token>/", views.download, name="package"),
]
