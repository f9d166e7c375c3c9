from django.db import migrations, models


def holds_become_legal_holds(apps, schema_editor):
    """Items held before holds were records of their own get a ``policy.LegalHold`` each."""
    VaultItem = apps.get_model("vault", "VaultItem")
    LegalHold = apps.get_model("policy", "LegalHold")
    for pk in VaultItem.objects.filter(state="held").values_list("pk", flat=True):
        LegalHold.objects.create(
            records=[["vault.VaultItem", str(pk)]],
            reason="legal hold placed on the vault item before holds were records",
            placed_by="system:migration",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_recoveryjob_link_revoked_at"),
        ("policy", "0004_holds_and_plans"),
    ]

    operations = [
        migrations.AddField(
            model_name="recoveryjob",
            name="restricted",
            field=models.BooleanField(default=False, verbose_name="restricted"),
        ),
        migrations.RunPython(holds_become_legal_holds, migrations.RunPython.noop),
    ]
