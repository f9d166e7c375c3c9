"""Periodic verification of the audit chain, so tampering is noticed without anyone asking."""

import logging
from datetime import timedelta

from privacydesk.audit.services import record, verify_chain
from privacydesk.jobs.registry import job, periodic

logger = logging.getLogger("privacydesk.audit")


@periodic(every=timedelta(hours=24), name="audit.verify_chain")
@job(max_attempts=1)
def verify_audit_chain() -> dict:
    """Walk the whole chain; a broken chain is logged as an error and recorded."""
    result = verify_chain()
    if not result.ok:
        logger.error("audit chain broken at entry #%s: %s", result.broken_id, result.reason)
    record(
        actor="system:worker",
        action="audit.verified" if result.ok else "audit.verify_failed",
        detail={"checked": result.checked, "broken_id": result.broken_id, "reason": result.reason},
    )
    return {"ok": result.ok, "checked": result.checked, "broken_id": result.broken_id}
