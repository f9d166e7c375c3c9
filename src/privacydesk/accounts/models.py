"""Staff users. Customers and visitors are not users; they live in their own apps."""

from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff. Their role is the Django group of the same name (see roles.py)."""

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    @property
    def role(self) -> str | None:
        """The name of the user's role, or None when the user has none (or several)."""
        from privacydesk.accounts.roles import role_of

        return role_of(self)
