"""The chain head may only move forward, one entry at a time, to an entry that exists (P3).

Without this, someone could delete the newest entries and wind the head back so that
``audit verify`` sees a shorter but intact chain. The head row cannot be deleted; an update
must advance ``last_id`` by one and carry that entry's hash.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_audithead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit head cannot be deleted';
    END IF;
    IF NEW.last_id <> OLD.last_id + 1 OR NEW.last_hash IS DISTINCT FROM
        (SELECT hash FROM audit_auditentry WHERE id = NEW.last_id) THEN
        RAISE EXCEPTION 'audit head may only advance to the next entry';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_audithead_forward_only
    BEFORE UPDATE OR DELETE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION audit_audithead_forward_only();
CREATE TRIGGER audit_audithead_no_truncate
    BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_audithead_no_truncate ON audit_audithead;
DROP TRIGGER IF EXISTS audit_audithead_forward_only ON audit_audithead;
DROP FUNCTION IF EXISTS audit_audithead_forward_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_audithead_no_delete BEFORE DELETE ON audit_audithead
       BEGIN SELECT RAISE(ABORT, 'audit head cannot be deleted'); END;""",
    """CREATE TRIGGER audit_audithead_forward_only BEFORE UPDATE ON audit_audithead
       WHEN NEW.last_id <> OLD.last_id + 1 OR NEW.last_hash IS NOT
            (SELECT hash FROM audit_auditentry WHERE id = NEW.last_id)
       BEGIN SELECT RAISE(ABORT, 'audit head may only advance to the next entry'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_audithead_no_delete;",
    "DROP TRIGGER IF EXISTS audit_audithead_forward_only;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
