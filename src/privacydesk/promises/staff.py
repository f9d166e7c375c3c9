"""The promise board, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.promises import views

urlpatterns = [path("promises/", views.board, name="promises_board")]
