"""The registers' back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.registers import views

urlpatterns = [
    path("registers/", views.home, name="registers_home"),
    path("registers/export/<str:kind>.<str:fmt>", views.export, name="registers_export"),
    path("registers/disclosures/", views.disclosures, name="registers_disclosures"),
    path("registers/disclosures/new/", views.disclosure_edit, name="registers_disclosures_new"),
    path("registers/disclosures/<int:pk>/", views.disclosure, name="registers_disclosure"),
    path(
        "registers/disclosures/<int:pk>/edit/",
        views.disclosure_edit,
        name="registers_disclosure_edit",
    ),
    path(
        "registers/disclosures/<int:pk>/holds/",
        views.disclosure_holds,
        name="registers_disclosure_holds",
    ),
    path("registers/processors/", views.processors, name="registers_processors"),
    path("registers/processors/new/", views.processor_edit, name="registers_processors_new"),
    path("registers/processors/<int:pk>/", views.processor, name="registers_processor"),
    path(
        "registers/processors/<int:pk>/edit/",
        views.processor_edit,
        name="registers_processor_edit",
    ),
    path(
        "registers/processors/<int:pk>/agreement/",
        views.agreement,
        name="registers_processor_agreement",
    ),
    path("registers/breaches/", views.breaches, name="registers_breaches"),
    path("registers/breaches/new/", views.breach_edit, name="registers_breaches_new"),
    path("registers/breaches/<int:pk>/", views.breach, name="registers_breach"),
    path("registers/breaches/<int:pk>/edit/", views.breach_edit, name="registers_breach_edit"),
]
