"""What each promise of the privacy policy says, in short (DESIGN.md section 1)."""

from django.utils.translation import gettext_lazy as _

TITLES = {
    "P1": _("Personal data include names, contact details, IP addresses, clicks, time on page"),
    "P2": _("We follow the GDPR"),
    "P3": _("Adequate security against unauthorised access, change, disclosure or loss"),
    "P4": _("Recovered data are kept on our secured system and erased after one month"),
    "P5": _("We are controller for business operations, marketing and invoicing"),
    "P6": _("We send a newsletter"),
    "P7": _("Tracking only after accepting tracking cookies"),
    "P8": _("Disclosure without consent only to authorities or against fraud and for security"),
    "P9": _("Processors are bound by a processor agreement"),
    "P10": _("The categories of personal data we process"),
    "P11": _("We advise encrypted connections and cannot read encrypted traffic"),
    "P12": _("Recovery data are kept only as long as strictly necessary"),
    "P13": _("Cookies are explained in a cookie statement"),
    "P14": _("Access, rectification, completion, erasure and objection on request"),
    "P15": _("The current version of the policy is always on the website"),
}
