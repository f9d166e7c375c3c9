"""Client addresses: who sent a request, and what of the address may be stored (P1, P10).

The privacy model says per activity how IP addresses are stored (``ip_addresses``: full,
truncated or none); truncated keeps the network, not the host: IPv4 to /24, IPv6 to /48.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from privacydesk.policy import services as policy


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind the trusted proxies the address they saw
    (the N-th entry of X-Forwarded-For from the right); "" when there is none."""
    if settings.BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        count = settings.TRUSTED_PROXIES
        return forwarded[-count] if len(forwarded) >= count else ""
    return request.META.get("REMOTE_ADDR", "")


@lru_cache(maxsize=4096)
def truncate(address: str) -> str:
    """The network part of an address (IPv4 /24, IPv6 /48); "" for anything else."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


_MODES: dict[tuple[int, str], str] = {}


def mode(activity: str) -> str:
    """How ``activity`` stores addresses according to the privacy model (read again when the
    model file changes: ``current_model`` then returns a new object)."""
    model = policy.current_model()
    key = (id(model), activity)
    if key not in _MODES:
        _MODES.clear()
        _MODES[key] = model.activity(activity).ip_addresses or "none"
    return _MODES[key]


def stored_address(address: str, activity: str) -> str:
    """What of ``address`` the activity keeps: all, its network, or nothing."""
    how = mode(activity)
    if how == "full":
        try:
            return str(ipaddress.ip_address(address.strip()))
        except ValueError:
            return ""
    if how == "truncated":
        return truncate(address)
    return ""
