"""Sign-in events go to the audit log (P3). Usernames are not recorded on failure."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from privacydesk.audit.services import actor_for, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=actor_for(user), action="staff.login", obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=actor_for(user), action="staff.logout", obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record(actor="anonymous", action="staff.login_failed")
