"""What each role may do with staff accounts and sign-in records: users, keys and settings
are the administrator's alone (DESIGN.md section 7)."""

from privacydesk.spine.roles import ADMIN

GRANTS = {
    ADMIN: {
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
    },
}
