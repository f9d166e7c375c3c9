"""The Dutch back office names third-party apps and their models in Dutch (issue 8, "Seen" 6).

The admin home read "AXES / Access attempts", "OTP_TOTP / TOTP devices" and "TASKS DATABASE
BACKEND": the packages bring no Dutch and two bring no app name.
"""

import re

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.text import capfirst

NAMES = {
    # app label: (Dutch app name, model, Dutch plural)
    "axes": ("Aanmeldbeveiliging", "AccessAttempt", "Aanmeldpogingen"),
    "otp_totp": ("Inloggen in twee stappen", "TOTPDevice", "TOTP-apparaten"),
    "django_tasks_database": ("Wachtrij van taken", "DBTaskResult", "Taakresultaten"),
}


@pytest.mark.parametrize("label", NAMES)
def test_app_and_model_names_follow_the_language(label):
    app_name, model_name, plural = NAMES[label]
    config = apps.get_app_config(label)
    meta = config.get_model(model_name)._meta
    with translation.override("nl"):
        assert str(config.verbose_name) == app_name
        assert capfirst(str(meta.verbose_name_plural)) == plural
    with translation.override("en"):
        assert str(config.verbose_name) not in {app_name, label, label.title()}


def test_dutch_admin_home_has_no_english_app_names(staff_client):
    client = staff_client("admin")
    html = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for english in (
        "Axes",
        "Otp_Totp",
        "Tasks Database Backend",
        "Access attempts",
        "Access logs",
        "TOTP devices",
        "Task Results",
        "Sign-in protection",
    ):
        assert english not in text
    assert "Aanmeldbeveiliging" in text and "Wachtrij van taken" in text
