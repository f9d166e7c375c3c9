from django.urls import path

from privacydesk.vault import portal_views

app_name = "vault"
urlpatterns = [
    path("vault/<str:token>/", portal_views.portal, name="portal"),
    path("vault/<str:token>/zip/", portal_views.download_zip, name="zip"),
    path("vault/<str:token>/items/<uuid:item_id>/", portal_views.download, name="download"),
    path(
        "vault/<str:token>/items/<uuid:item_id>/age/",
        portal_views.download_encrypted,
        name="download_encrypted",
    ),
    path("vault/<str:token>/items/<uuid:item_id>/key/", portal_views.item_key, name="key"),
]
