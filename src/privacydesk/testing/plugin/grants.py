from privacydesk.spine.roles import SALES

GRANTS = {SALES: {"audit.view_auditentry"}}
