"""The registers' promises on the board (``spine.promises``): P8, P9, and for P2 the breach
register's Art. 33(5) (a reason for every breach not notified). The open breaches' 72-hour
clocks are shown on the board too (``board_notice``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.registers.models import Disclosure, Processor
from privacydesk.spine.promises import Finding, board_notice, keeps


@keeps("P8")
def every_disclosure_is_accounted_for() -> Finding:
    answered = Disclosure.objects.filter(answered_on__isnull=False)
    unapproved = sorted(answered.filter(approved_by__isnull=True).values_list("pk", flat=True))
    if unapproved:
        ids = ", ".join(f"#{pk}" for pk in unapproved)
        return Finding(
            False, format_lazy(_("answered disclosures without an approver: {ids}"), ids=ids)
        )
    return Finding(
        True,
        format_lazy(
            _("{count} answered disclosures, each with its approver"), count=answered.count()
        ),
    )


class _Problems:
    """The processors without a valid agreement, described in the language asked for."""

    def __init__(self, processors, today):
        self.processors, self.today = processors, today

    def __str__(self) -> str:
        return "; ".join(
            f"{p.name} ({p.agreement_problem(self.today)})"
            for p in self.processors
            if p.agreement_problem(self.today)
        )


class _Unregistered:
    """The activities' processors the register lacks, as ``activity: key`` (no translation)."""

    def __init__(self, found):
        self.found = found

    def __str__(self) -> str:
        return ", ".join(f"{f.activity}: {f.key}" for f in self.found)


@keeps("P9")
def every_processor_has_a_valid_agreement() -> Finding:
    from privacydesk.registers.services import named_processor_problems

    today = timezone.localdate()
    processors = list(Processor.objects.all())
    unregistered = [f for f in named_processor_problems(today=today) if f.problem is None]
    if unregistered:
        return Finding(
            False,
            format_lazy(
                _("processors named in the privacy model but not in the register: {list}"),
                list=_Unregistered(unregistered),
            ),
        )
    if any(p.agreement_problem(today) for p in processors):
        return Finding(
            False,
            format_lazy(
                _("processors without a valid agreement: {list}"),
                list=_Problems(processors, today),
            ),
        )
    return Finding(
        True,
        format_lazy(_("{count} processors, each with a valid agreement"), count=len(processors)),
    )


@keeps("P2")
def every_breach_not_notified_has_a_reason() -> Finding:
    """Art. 33(5): a breach not notified to the AP within 72 hours has its reason recorded."""
    from privacydesk.registers.models import Breach
    from privacydesk.registers.services import unexplained_breaches

    unexplained = unexplained_breaches()
    if unexplained:
        return Finding(
            False,
            format_lazy(
                _(
                    "data breaches not notified to the AP after 72 hours without a reason "
                    "(Art. 33(5)): {ids}"
                ),
                ids=", ".join(f"#{b.pk}" for b in unexplained),
            ),
        )
    return Finding(
        True,
        format_lazy(
            _("{count} data breaches registered; each past its 72 hours notified or explained"),
            count=Breach.objects.count(),
        ),
    )


@board_notice
def open_breach_clocks(request) -> list[str]:
    """The 72-hour clock of every undecided breach, for those who may read the register."""
    if not request.user.has_perm("registers.view_breach"):
        return []
    from privacydesk.registers.services import open_breach_lines

    return open_breach_lines()
