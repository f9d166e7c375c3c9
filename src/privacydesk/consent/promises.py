"""The consent app's part of P7 on the board (``spine.promises``): no cookie beyond the
necessary ones without the visitor's consent.

Every declared cookie that is not necessary must belong to a category the banner asks
consent for (``services.CATEGORIES``: its own switch) and to an activity whose legal basis is
consent (Art. 6(1)(a) GDPR, Section 11.7a Telecommunicatiewet). The tracking app checks the
other half: no event stored without a consent record that allowed it.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.consent.services import CATEGORIES
from privacydesk.policy import services as policy
from privacydesk.policy.schema import PrivacyModelError
from privacydesk.spine.promises import Finding, keeps

NECESSARY = "necessary"


def cookie_problems(model) -> list[str]:
    activities = {a.id: a for a in model.activities}
    problems = []
    for cookie in model.cookies:
        if cookie.category == NECESSARY:
            continue
        if cookie.category not in CATEGORIES:
            problems.append(f"{cookie.name}: category {cookie.category} has no banner switch")
        activity = activities.get(cookie.activity)
        if activity is None or activity.legal_basis != "consent":
            problems.append(f"{cookie.name}: activity {cookie.activity} is not based on consent")
    return problems


@keeps("P7")
def no_cookie_beyond_the_necessary_without_consent() -> Finding:
    try:
        model = policy.current_model()
    except PrivacyModelError:
        return Finding(False, _("the privacy model does not load"))
    problems = cookie_problems(model)
    if problems:
        return Finding(
            False,
            format_lazy(
                _("cookies that would be set without consent: {problems}"),
                problems="; ".join(problems),
            ),
        )
    asking = [c for c in model.cookies if c.category != NECESSARY]
    return Finding(
        True,
        format_lazy(
            _(
                "{count} cookies declared; {asking} of them beyond the necessary ones, each "
                "set only with consent in the banner"
            ),
            count=len(model.cookies),
            asking=len(asking),
        ),
    )
