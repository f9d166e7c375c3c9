"""Version 1 (the 2018 text) loses the old website's menu ("Menu Sluiten"), which is not policy.

The 2018 text was copied from the old site with its menu button ("Menu Sluiten" / "Menu
Close") as its first line. Published versions are otherwise never changed; this correction
removes exactly that first line from the stored texts of version 1 and recomputes its hash,
so that an installation migrated from an earlier release holds what a new installation
stores from ``policy/data/`` (and ``privacydesk policy check`` stays clean).
"""

import hashlib

from django.db import migrations

MENUS = {"nl": "Menu Sluiten", "en": "Menu Close"}
SEED_OPEN = '<div class="pd-policy pd-seed">'


def without_menu(text: str, html: str, menu: str) -> tuple[str, str]:
    if text.startswith(menu + "\n"):
        text = text[len(menu) :].lstrip("\n")
    menu_html = f"{SEED_OPEN}<p>{menu}</p>"
    if html.startswith(menu_html):
        html = SEED_OPEN + html[len(menu_html) :]
    return text, html


def remove_menu(apps, schema_editor):
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    for version in PolicyVersion.objects.filter(number=1):
        fields = {}
        for lang, menu in MENUS.items():
            text, html = without_menu(
                getattr(version, f"text_{lang}"), getattr(version, f"html_{lang}"), menu
            )
            fields[f"text_{lang}"], fields[f"html_{lang}"] = text, html
        if all(fields[name] == getattr(version, name) for name in fields):
            continue
        fields["sha256"] = hashlib.sha256(
            f"{fields['html_nl']}\x00{fields['html_en']}".encode()
        ).hexdigest()
        # A queryset update: the model's save() refuses changes to published versions.
        PolicyVersion.objects.filter(pk=version.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("policy", "0002_activity_choices")]

    operations = [migrations.RunPython(remove_menu, migrations.RunPython.noop)]
