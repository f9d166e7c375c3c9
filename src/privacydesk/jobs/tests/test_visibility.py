"""Failed jobs are visible to staff: the job list filtered on FAILED and the home-page panel."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs.tests import tasks
from privacydesk.jobs.worker import Worker

FAILED_LIST = "/staff/django_tasks_database/dbtaskresult/?status__exact=FAILED"


@pytest.fixture
def one_failed_one_ok(db, settings):
    settings.JOBS_MAX_ATTEMPTS = 2
    failed = tasks.always_fails.enqueue()
    ok = tasks.add.enqueue(1, 1)
    Worker(batch=True).run()
    assert DBTaskResult.objects.get(id=failed.id).status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(id=ok.id).status == TaskResultStatus.SUCCESSFUL
    return failed, ok


def test_admin_sees_the_failed_job(staff_client, one_failed_one_ok):
    failed, ok = one_failed_one_ok
    response = staff_client("admin").get(FAILED_LIST)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [str(r.id) for r in shown] == [str(failed.id)]
    page = response.content.decode()
    assert "always_fails" in page
    assert str(failed.id) in page
    assert str(ok.id) not in page


def test_admin_opens_the_failed_job_with_its_traceback(staff_client, one_failed_one_ok):
    failed, _ok = one_failed_one_ok
    response = staff_client("admin").get(
        f"/staff/django_tasks_database/dbtaskresult/{failed.id}/change/"
    )
    assert response.status_code == 200
    assert "this job always fails" in response.content.decode()


def test_staff_home_shows_the_failed_job_count(staff_client, one_failed_one_ok):
    response = staff_client("admin").get("/staff/")
    assert response.status_code == 200
    page = response.content.decode()
    link = FAILED_LIST.replace("&", "&amp;")
    assert f'href="{link}"' in page or f'href="{FAILED_LIST}"' in page
    panel = next(p for p in response.context["panels"] if p.get("link") == FAILED_LIST)
    assert panel["alert"]
    language = response.wsgi_request.LANGUAGE_CODE
    with translation.override(language):
        one_failed = gettext("%(count)d failed jobs") % {"count": 1}
        none_waiting = gettext("%(count)d jobs waiting") % {"count": 0}
    assert panel["lines"][0] == one_failed
    assert panel["lines"][1] == none_waiting
    assert one_failed in page


def test_panel_without_failures_raises_no_alert(staff_client, db):
    tasks.add.enqueue(1, 1)
    response = staff_client("admin").get("/staff/")
    panel = next(p for p in response.context["panels"] if p.get("link") == FAILED_LIST)
    assert not panel["alert"]


@pytest.mark.parametrize("role", ["technician", "sales", "privacy_officer"])
def test_other_roles_see_no_jobs(staff_client, one_failed_one_ok, role):
    client = staff_client(role)
    assert client.get(FAILED_LIST).status_code == 403
    page = client.get("/staff/").content.decode()
    assert "dbtaskresult" not in page
