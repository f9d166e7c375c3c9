"""Every label of every staff admin page follows the page's language (issue 8, "Seen" 6).

The Dutch admin showed django-axes' "IP Address", "Attempt Time", django-otp's "Confirmed",
django-tasks-db's "Enqueued at" and our own "Revision": packages without Dutch, fields
without a verbose name. This test walks the admin registry rather than the pages, so a new
ModelAdmin, a new column or a package upgrade is covered without writing a test for it: each
label (model names, columns, filters, fieldset titles, field labels and help texts, actions,
search help, choices) must differ between Dutch and English, unless it is one of the words
that are the same in both languages.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, help_text_for_field, label_for_field
from django.test import RequestFactory
from django.utils import translation

from privacydesk.backoffice.tests.admin_rows import make_rows
from privacydesk.testing import make_staff

# The same word in Dutch and English (or a name, a code or a unit).
SAME_IN_BOTH = {"Id", "Status", "Sha-256", "Host", "Hash"}


def labels(model_admin, request, obj) -> list[tuple[str, object]]:
    """``(where, label)`` for everything the admin pages of this model name in words."""
    model = model_admin.model
    opts = model._meta
    found: list[tuple[str, object]] = [
        ("verbose_name", opts.verbose_name),
        ("verbose_name_plural", opts.verbose_name_plural),
        ("search_help_text", model_admin.search_help_text),
    ]
    for name in model_admin.get_list_display(request):
        if name != "action_checkbox":
            found.append((f"column {name}", label_for_field(name, model, model_admin)))
    for spec in model_admin.get_list_filter(request):
        if isinstance(spec, str | tuple):
            path = spec if isinstance(spec, str) else spec[0]
            field = get_fields_from_path(model, path)[-1]
            title = field.verbose_name
            if isinstance(spec, tuple):
                title = spec[1](field, request, {}, model, model_admin, field_path=path).title
            found.append((f"filter {path}", title))
            found += [(f"choice {value} of {path}", label) for value, label in field.flatchoices]
        else:
            found.append((f"filter {spec.__name__}", spec.title))
            found += [
                (f"choice {value} of {spec.__name__}", label)
                for value, label in spec(request, {}, model, model_admin).lookup_choices
            ]
    for action, (_func, _name, description) in model_admin.get_actions(request).items():
        found.append((f"action {action}", description))
    for when, instance in (("add", None), ("change", obj)):
        if when == "add" and not model_admin.has_add_permission(request):
            continue
        if when == "change" and instance is None:
            continue
        form = model_admin.get_form(request, instance)
        for number, (title, options) in enumerate(model_admin.get_fieldsets(request, instance)):
            if title:
                found.append((f"{when} fieldset {number}", title))
            for name in options["fields"]:
                for single in name if isinstance(name, tuple | list) else [name]:
                    found += _field(model_admin, form, when, single)
    return [(where, label) for where, label in found if label]


def _field(model_admin, form, when: str, name: str) -> list[tuple[str, object]]:
    """A form field's label and help as the form shows them; a read-only one's as the admin
    shows it (``AdminReadonlyField``: the model field's, or the display function's)."""
    if name in form.base_fields:
        field = form.base_fields[name]
        return [(f"{when} field {name}", field.label), (f"{when} help {name}", field.help_text)]
    model = model_admin.model
    return [
        (f"{when} field {name}", label_for_field(name, model, model_admin, form=form)),
        (f"{when} help {name}", help_text_for_field(name, model)),
    ]


def rendered(model_admin, request, obj, lang: str) -> dict[str, str]:
    """The labels as a page in ``lang`` shows them (some are made into text on reading)."""
    with translation.override(lang):
        return {where: str(label) for where, label in labels(model_admin, request, obj)}


@pytest.fixture
def admin_request(db):
    request = RequestFactory().get("/staff/")
    request.user = make_staff("admin")
    request.session = {}
    return request


def test_every_admin_label_is_translated(admin_request):
    rows = make_rows()
    missed = []
    for model, model_admin in admin.site._registry.items():
        obj = rows.get(model._meta.label) or model._default_manager.first()
        dutch = rendered(model_admin, admin_request, obj, "nl")
        english = rendered(model_admin, admin_request, obj, "en")
        assert dutch.keys() == english.keys()
        for where, label in english.items():
            if dutch[where] == label and label.capitalize() not in SAME_IN_BOTH:
                missed.append(f"{model._meta.label} {where}: {label!r}")
    assert not missed, "English on the Dutch admin pages:\n" + "\n".join(sorted(set(missed)))


def test_help_texts_have_no_angle_brackets(admin_request):
    """The admin shows help texts as HTML: the audit log's "user:<id>, system:<name>" read
    "user:, system:" in the browser."""
    rows = make_rows()
    for model, model_admin in admin.site._registry.items():
        obj = rows.get(model._meta.label) or model._default_manager.first()
        for lang in ("nl", "en"):
            for where, text in rendered(model_admin, admin_request, obj, lang).items():
                if " help " in where:
                    assert "<" not in text, (model._meta.label, where, text)


@pytest.mark.parametrize(
    "label,dutch",
    [
        ("axes.AccessAttempt", "Mislukte aanmeldingen van iemand vanaf 203.0.113.5"),
        ("axes.AccessLog", "Aanmelding van iemand op "),
        ("axes.AccessFailureLog", "Mislukte aanmelding van iemand op "),
        ("django_tasks_database.DBTaskResult", "Taak verify_audit_chain, ingepland op "),
    ],
)
def test_third_party_records_are_named_in_the_language(db, label, dutch):
    """A record's name is its admin page's title and breadcrumb ("Attempted Access: ...")."""
    row = make_rows()[label]
    with translation.override("nl"):
        assert str(row).startswith(dutch)
    with translation.override("en"):
        assert not str(row).startswith(dutch[:8])
