"""Database triggers that refuse UPDATE of consent records (AVG art. 7(1): proof of consent).

The ORM refuses too; this stops a raw statement. Rows are deleted only by erasure and the
retention sweep (audited); a row changed behind the application's back no longer matches the
hash anchored for it in the audit log, and a row removed behind its back leaves that anchor
without a record and without an erasure (``consent.services.verify``).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION consent_record_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_consentrecord_no_update
    BEFORE UPDATE ON consent_consentrecord
    FOR EACH ROW EXECUTE FUNCTION consent_record_refuse_update();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS consent_consentrecord_no_update ON consent_consentrecord;
DROP FUNCTION IF EXISTS consent_record_refuse_update();
"""
SQLITE_FORWARD = """CREATE TRIGGER consent_consentrecord_no_update BEFORE UPDATE ON consent_consentrecord
   BEGIN SELECT RAISE(ABORT, 'consent records are append-only: UPDATE refused'); END;"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS consent_consentrecord_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
