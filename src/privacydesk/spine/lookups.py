"""``__ieq``: a case-insensitive equality that an expression index serves (P14 at scale).

Django's ``__iexact`` reads the whole table on both databases: SQLite compiles it to
``LIKE … ESCAPE``, PostgreSQL to ``UPPER(col) = UPPER(%s)``, and neither matches an index. A
data-subject request looks a person up by e-mail address in every source, so each of those
lookups must be indexed. ``field__ieq=value`` compiles to ``LOWER(col) = LOWER(%s)``: the
database folds both sides with the same rule (SQLite ASCII letters only, as its ``LIKE``
does; PostgreSQL by its collation), so it finds the rows ``__iexact`` finds (on PostgreSQL
up to letters whose cases do not map one to one, such as ß), and an expression index
``models.Index(Lower("col"))`` serves it on SQLite and PostgreSQL alike.

Registered on ``CharField`` (and so on ``EmailField``) and ``TextField`` when this module is
imported; ``spine.registry`` imports it, so every ``privacy.py`` can use it.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower


class CaseInsensitiveEqual(models.Lookup):
    lookup_name = "ieq"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(Lower(self.lhs))
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = LOWER({rhs})", [*lhs_params, *rhs_params]


models.CharField.register_lookup(CaseInsensitiveEqual)
models.TextField.register_lookup(CaseInsensitiveEqual)
