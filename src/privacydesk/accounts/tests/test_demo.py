"""The demo staff: one person per role, each greeted by their own name (issue 8, "DEMO")."""

from io import StringIO

from django.core.management import call_command

from privacydesk.accounts.models import User
from privacydesk.testing import sign_in_verified


def test_demo_users_have_distinct_real_names_and_are_greeted_by_them(client, db):
    out = StringIO()
    call_command("demo", stdout=out)
    users = {u.username: u for u in User.objects.filter(is_staff=True)}
    assert set(users) == {"technician", "sales", "privacy", "admin"}
    first_names = [u.first_name for u in users.values()]
    assert len(set(first_names)) == 4 and "Demo" not in first_names
    assert all(u.email.endswith(".example") for u in users.values())
    assert {u.role for u in users.values()} == {"technician", "sales", "privacy_officer", "admin"}

    sign_in_verified(client, users["technician"])
    page = client.get("/staff/").content.decode()
    assert f"<strong>{users['technician'].first_name}</strong>" in page
    assert "<strong>Demo</strong>" not in page


def test_demo_twice_keeps_one_role_each(db):
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())
    for user in User.objects.filter(is_staff=True):
        assert user.groups.count() == 1
