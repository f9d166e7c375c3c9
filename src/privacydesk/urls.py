from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import pgettext_lazy

from privacydesk.backoffice import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", admin.site.urls),
]
urlpatterns += i18n_patterns(
    path("", include("privacydesk.policy.urls")),
    path("", include("privacydesk.vault.urls")),
    path("", include("privacydesk.consent.urls")),
    path("", include("privacydesk.tracking.urls")),
    path("", include("privacydesk.rights.urls")),
    path("", include("privacydesk.mailings.urls")),
    path(pgettext_lazy("URL path", "services/"), views.public_services, name="services"),
    path("", views.public_home, name="home"),
    prefix_default_language=False,
)

# Error pages in the page's language, public or back-office look (privacydesk.errors).
handler400 = "privacydesk.errors.bad_request"
handler403 = "privacydesk.errors.permission_denied"
handler404 = "privacydesk.errors.page_not_found"
handler500 = "privacydesk.errors.server_error"
