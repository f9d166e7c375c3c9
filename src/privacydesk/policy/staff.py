"""The Art. 30 register's back-office pages, mounted under /staff/ by the shell."""

from django.urls import path

from privacydesk.policy import views

urlpatterns = [
    path("register/", views.register_page, name="art30_register"),
    path("register/export.<str:fmt>", views.register_export, name="art30_register_export"),
]
