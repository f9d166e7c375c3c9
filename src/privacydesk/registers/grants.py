"""Who may do what with the registers (DESIGN.md section 7): the privacy officer keeps them,
the admin reads them."""

from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

_MODELS = ("disclosure", "processor", "breach")
_READ = {f"registers.view_{m}" for m in _MODELS}

GRANTS = {
    PRIVACY_OFFICER: _READ
    | {f"registers.add_{m}" for m in _MODELS}
    | {f"registers.change_{m}" for m in _MODELS},
    ADMIN: _READ,
}
