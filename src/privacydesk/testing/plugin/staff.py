from django.urls import path

from privacydesk.testing.plugin import views

urlpatterns = [path("plugin/notes/", views.notes, name="plugin_notes")]
