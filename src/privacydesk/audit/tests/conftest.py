from privacydesk.audit.tests.support import empty_log

__all__ = ["empty_log"]
