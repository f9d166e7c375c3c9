"""The audit log's promise on the board (``spine.promises``): P3, the chain verifies."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.audit.services import verify_chain
from privacydesk.spine.promises import Finding, keeps


@keeps("P3")
def the_audit_chain_verifies() -> Finding:
    result = verify_chain()
    if not result.ok:
        return Finding(
            False,
            format_lazy(
                _("audit log broken at entry {id}: {reason}"),
                id=result.broken_id,
                reason=result.reason,
            ),
        )
    return Finding(
        True, format_lazy(_("audit chain of {count} entries verifies"), count=result.checked)
    )
