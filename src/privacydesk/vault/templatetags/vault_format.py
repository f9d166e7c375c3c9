"""Template filters for the vault's outputs: the one size format and the one name rule."""

from django import template

from privacydesk.vault import names, sizes

register = template.Library()


@register.filter
def vault_size(value) -> str:
    """``{{ item.size|vault_size }}``: see :func:`privacydesk.vault.sizes.format_size`."""
    try:
        return sizes.format_size(int(value), nbsp=True)
    except (TypeError, ValueError):
        return ""


@register.filter
def vault_name(value) -> str:
    """``{{ item.name|vault_name }}``: format and control characters escaped
    (:func:`privacydesk.vault.names.clean`); HTML escaping follows as usual."""
    return names.clean(str(value))
