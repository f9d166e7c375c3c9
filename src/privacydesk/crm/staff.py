"""The CRM's back-office pages, mounted under /staff/ by the shell (``spine.staff``)."""

from django.urls import path

from privacydesk.crm import staff_views as crm

urlpatterns = [
    path("crm/contacts/", crm.contacts, name="crm_contacts"),
    path("crm/contacts/new/", crm.contact_add, name="crm_contact_add"),
    path("crm/contacts/<int:contact_id>/", crm.contact_detail, name="crm_contact"),
    path("crm/contacts/<int:contact_id>/edit/", crm.contact_edit, name="crm_contact_edit"),
    path("crm/contacts/<int:contact_id>/merge/", crm.contact_merge, name="crm_contact_merge"),
    path(
        "crm/contacts/<int:contact_id>/interactions/",
        crm.interaction_add,
        name="crm_interaction_add",
    ),
    path("crm/contacts/<int:contact_id>/invoices/", crm.invoice_add, name="crm_invoice_add"),
    path(
        "crm/contacts/<int:contact_id>/newsletter/",
        crm.newsletter_soft_opt_in,
        name="crm_contact_newsletter",
    ),
    path("crm/invoices/<int:invoice_id>/paid/", crm.invoice_paid, name="crm_invoice_paid"),
    path("crm/organisations/", crm.organisations, name="crm_organisations"),
    path(
        "crm/organisations/<int:organisation_id>/edit/",
        crm.organisation_edit,
        name="crm_organisation_edit",
    ),
    path("crm/import/", crm.import_contacts, name="crm_import"),
]
