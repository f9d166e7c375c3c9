from django.apps import AppConfig


class PluginConfig(AppConfig):
    name = "privacydesk.testing.plugin"
    label = "pd_test_plugin"
    verbose_name = "Plug-in test app"
