"""Database triggers that refuse UPDATE and DELETE on the audit log (P3).

The ORM refuses too, but the database is the last line: a raw SQL statement from a bug or a
console session is stopped here. (Someone who owns the database can drop a trigger; the hash
chain, checked by ``privacydesk audit verify``, is what catches that.)
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_refuse_change();
CREATE TRIGGER audit_auditentry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_refuse_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the SQL holds a literal '%' (RAISE format) that must not be taken for
        # a query placeholder.
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
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
