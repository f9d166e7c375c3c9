"""The processor register's promise check (P9), run by ``privacydesk policy check``.

Every processor a processing activity of the privacy model names must be in the register
with a valid agreement today: signed, not ended, all of Art. 28(3)(a)-(h), and safeguards for
a transfer outside the EEA. (An id the register does not know is ``policy.E005``.)
"""

from __future__ import annotations

from django.core import checks
from django.utils import translation

from privacydesk.spine.checks import TAG


@checks.register(TAG, deploy=True)
def named_processors_have_valid_agreements(
    app_configs=None, databases=None, **kwargs
) -> list[checks.CheckMessage]:
    if not databases:
        return []
    from privacydesk.policy.schema import PrivacyModelError
    from privacydesk.policy.services import current_model
    from privacydesk.registers.models import Processor

    try:
        model = current_model()
    except PrivacyModelError:
        return []  # policy.E001 says why
    by_key = {p.key: p for p in Processor.objects.all()}
    errors = []
    for activity in model.activities:
        for key in activity.processors:
            processor = by_key.get(key)
            if processor is None:
                continue
            with translation.override("en"):
                problem = processor.agreement_problem()
            if problem:
                errors.append(
                    checks.Error(
                        f"activity {activity.id} names processor {key!r} without a valid "
                        f"agreement: {problem}",
                        id="registers.E001",
                    )
                )
    return errors
