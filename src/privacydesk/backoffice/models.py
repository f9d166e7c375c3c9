from django.db import models
from django.utils.translation import gettext_lazy as _


class Outbox(models.Model):
    """No table: carries the permission to read the local e-mail outbox (files in the data dir)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_outbox", _("Can read the local e-mail outbox"))]

    def __str__(self) -> str:
        return "outbox"
