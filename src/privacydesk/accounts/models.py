"""Staff users. Customers and visitors are not users; they live in their own apps."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff. Their role is the Django group of the same name (see roles.py)."""

    deactivated_at = models.DateTimeField(
        _("deactivated at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the account was closed; its retention period runs from here."),
    )

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    @property
    def role(self) -> str | None:
        """The name of the user's role, or None when the user has none (or several)."""
        from privacydesk.accounts.roles import role_of

        return role_of(self)

    def save(self, *args, **kwargs):
        if not self.is_active and self.deactivated_at is None:
            self.deactivated_at = timezone.now()
        elif self.is_active:
            self.deactivated_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "is_active" in update_fields:
            kwargs["update_fields"] = {*update_fields, "deactivated_at"}
        super().save(*args, **kwargs)
