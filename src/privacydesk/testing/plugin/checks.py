from django.apps import apps
from django.core import checks

from privacydesk.spine.checks import TAG


@checks.register(TAG, deploy=True)
def plugin_promise(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    # Django's check registry outlives an INSTALLED_APPS override: report only while installed.
    if not databases or not apps.is_installed("privacydesk.testing.plugin"):
        return []
    return [checks.Error("the plug-in test app's promise is not kept", id="pd_test_plugin.E001")]
