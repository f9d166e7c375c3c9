"""Finding the module an app contributes (``staff``, ``grants``, ``panels``, ``checks``).

Discovery follows the installed apps, not a list kept somewhere central: an app plugs in by
having the module, and stops when it is no longer in ``INSTALLED_APPS`` (Django's
``autodiscover_modules`` does the same for ``admin``).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps
from django.utils.module_loading import autodiscover_modules, module_has_submodule

#: Modules whose import registers something (``@panel``, Django's ``checks.register``):
#: imported once at start-up by the shell (``backoffice.apps``).
REGISTERING_MODULES = ("panels", "checks")


def app_modules(name: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """Each installed app's module ``name`` (``<app>.staff``, ...), in ``INSTALLED_APPS`` order."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, name):
            yield config, import_module(f"{config.name}.{name}")


def discover() -> None:
    """Import every installed app's registering modules (idempotent)."""
    autodiscover_modules(*REGISTERING_MODULES)


def installed(module_name: str) -> bool:
    """Whether ``module_name`` belongs to an app that is installed now."""
    return apps.get_containing_app_config(module_name) is not None
