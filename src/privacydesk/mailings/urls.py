from django.urls import path

from privacydesk.mailings import views

app_name = "mailings"
urlpatterns = [
    path("newsletter/", views.signup, name="signup"),
    path("newsletter/sent/", views.signup_sent, name="signup_sent"),
    path("newsletter/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("newsletter/<slug:slug>/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
