"""The CRM's demo records: loaded by ``privacydesk demo``, twice without doubles."""

from privacydesk.crm import demo
from privacydesk.crm.models import Contact, Interaction, Invoice, Organisation


def test_demo_records_load_once(db):
    first = demo.load(console=None)
    counts = [m.objects.count() for m in (Organisation, Contact, Interaction, Invoice)]
    assert counts == [3, 4, 3, 2]
    assert demo.load(console=None) == first
    assert [m.objects.count() for m in (Organisation, Contact, Interaction, Invoice)] == counts


def test_the_index_points_at_the_crm_pages(staff_client):
    client = staff_client("technician")
    response = client.get("/staff/crm/contact/")
    assert (response.status_code, response["Location"]) == (302, "/staff/crm/contacts/")
    response = client.get("/staff/crm/organisation/")
    assert (response.status_code, response["Location"]) == (302, "/staff/crm/organisations/")
