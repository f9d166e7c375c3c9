"""The processor register's promise check (P9), run by ``privacydesk policy check``.

Every processor a processing activity of the privacy model names must be in the register
with a valid agreement today: signed, not ended, all of Art. 28(3)(a)-(h), and safeguards for
a transfer outside the EEA. The register is the one source of truth: an id it does not hold
fails here too, even when the model's own ``processors:`` list describes it (an id no register
and no model list knows is also ``policy.E005``).
"""

from __future__ import annotations

from django.core import checks

from privacydesk.spine.checks import TAG


@checks.register(TAG, deploy=True)
def named_processors_have_valid_agreements(
    app_configs=None, databases=None, **kwargs
) -> list[checks.CheckMessage]:
    if not databases:
        return []
    from privacydesk.policy.schema import PrivacyModelError
    from privacydesk.policy.services import current_model
    from privacydesk.registers.services import named_processor_problems

    try:
        model = current_model()
    except PrivacyModelError:
        return []  # policy.E001 says why
    errors = []
    for found in named_processor_problems(model):
        if found.problem is None:
            message = (
                f"activity {found.activity} names processor {found.key!r}, which is not in "
                "the processor register (so it has no agreement on record)"
            )
        else:
            message = (
                f"activity {found.activity} names processor {found.key!r} without a valid "
                f"agreement: {found.problem}"
            )
        errors.append(checks.Error(message, id="registers.E001"))
    return errors
