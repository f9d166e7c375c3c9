"""The registers' promises on the board (``spine.promises``): P8 and P9."""

from __future__ import annotations

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.registers.models import Disclosure, Processor
from privacydesk.spine.promises import Finding, keeps


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
