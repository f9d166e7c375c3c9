"""Language selection for two kinds of pages.

Public pages live under ``i18n_patterns`` (Dutch at ``/privacy/``, English at
``/en/privacy/``), so the URL decides. The back office has one URL per page; there the
staff member's choice (language cookie) or the browser's preference decides, Dutch first.
Django's own middleware would force Dutch on every unprefixed URL, the back office included.
"""

from django.middleware.locale import LocaleMiddleware
from django.utils import translation

UNPREFIXED = ("/staff/", "/i18n/", "/healthz")


class PrivacydeskLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith(UNPREFIXED):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
