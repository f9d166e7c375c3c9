"""The vault's promises on the board (``spine.promises``): P4, nothing readable after its day;
P11, the vault can hand data over still encrypted.

P11 is checked on stored items: the key a customer is given (the item's age identity as
text, as ``portal.key_file`` writes it) must open the header of the stored age file, so the
encrypted file and that key decrypt offline with the ``age`` tool. Only the header is read
(its MAC proves the key fits); no content is decrypted, so no personal data is read. The
newest and the oldest item that a customer can still fetch are tried; with no such item, a
file encrypted for the check itself is.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.jobs.registry import last_finished
from privacydesk.spine.promises import Finding, keeps
from privacydesk.vault import age, keyring, services, storage
from privacydesk.vault.models import VaultItem

#: The hourly sweep must have *finished* (a successful django-tasks result) this recently:
#: an hour, with room for a busy worker and for the sweep's own running time.
SWEEP_LATE = timedelta(minutes=70)


def _when(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="minutes")


@keeps("P4")
def no_item_readable_after_its_day() -> Finding:
    today = timezone.localdate()
    late = VaultItem.objects.filter(state=VaultItem.State.STORED, expires_on__lt=today)
    readable = [str(i.pk) for i in late if keyring.has_key(i.key_name)]
    kept_days = [keyring.day_name(d) for d in keyring.days_before(today)]
    problems = []
    if readable:
        problems.append(
            format_lazy(
                _("vault items readable past their day: {ids}"), ids=", ".join(readable[:10])
            )
        )
    if kept_days:
        problems.append(
            format_lazy(
                _("day keys of passed days still exist: {days}"), days=", ".join(kept_days[:10])
            )
        )
    from privacydesk.vault.tasks import vault_sweep

    last = last_finished(vault_sweep)
    if last is None:
        problems.append(_("the vault sweep has never finished"))
    elif timezone.now() - last > SWEEP_LATE:
        problems.append(format_lazy(_("the vault sweep last finished at {when}"), when=_when(last)))
    if problems:
        return Finding(False, format_lazy("{}" + "; {}" * (len(problems) - 1), *problems))
    stored = VaultItem.objects.filter(state=VaultItem.State.STORED).count()
    return Finding(
        True,
        format_lazy(
            _("{count} items stored, none past its day; last sweep finished at {when}"),
            count=stored,
            when=_when(last),
        ),
    )


def _opens_with_exported_key(item: VaultItem) -> str | None:
    """None when the item's exported key opens its stored file; else what went wrong."""
    try:
        exported = str(services.item_identity(item))
        with storage.open_blob(item.blob) as fh:
            age.open_file(fh, age.Identity.parse(exported))
    except Exception as exc:  # a missing key or blob, a damaged header: the handover fails
        return type(exc).__name__
    return None


def _self_test() -> bool:
    import io

    identity = age.Identity.generate()
    sealed = io.BytesIO()
    age.encrypt(io.BytesIO(b"P11"), sealed, identity.to_public())
    out = io.BytesIO()
    age.decrypt(io.BytesIO(sealed.getvalue()), out.write, age.Identity.parse(str(identity)))
    return out.getvalue() == b"P11"


@keeps("P11")
def items_can_be_handed_over_encrypted() -> Finding:
    fetchable = VaultItem.objects.filter(
        state=VaultItem.State.STORED,
        expires_on__gte=timezone.localdate(),
        job__restricted=False,
    )
    tried = [
        item
        for item in (
            fetchable.order_by("-created_at").first(),
            fetchable.order_by("created_at").first(),
        )
        if item is not None
    ]
    tried = list({item.pk: item for item in tried}.values())
    if not tried:
        if _self_test():
            return Finding(
                True,
                _(
                    "no item to fetch now; a file encrypted for this check opened with its "
                    "exported key"
                ),
            )
        return Finding(False, _("a file encrypted for this check did not open with its key"))
    failed = [(item, _opens_with_exported_key(item)) for item in tried]
    failed = [(item, why) for item, why in failed if why]
    if failed:
        return Finding(
            False,
            format_lazy(
                _("stored items whose exported key does not open their file: {items}"),
                items=", ".join(f"{item.pk} ({why})" for item, why in failed),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _(
                "{count} of {total} fetchable items tried: each stored age file opens with the "
                "key a customer is given"
            ),
            count=len(tried),
            total=fetchable.count(),
        ),
    )
