"""Public newsletter pages: signup, confirmation, unsubscribe (P6). Thin: see ``services``.

- ``/newsletter/`` answers every accepted signup the same way (a redirect to "check your
  inbox"), whether the address was new, pending, confirmed or suppressed: no enumeration.
- A confirmation link shows a page with a button; only its POST confirms (mail scanners
  follow links, and a scanner must not give consent).
- The unsubscribe link: GET shows one button and changes nothing; a POST (RFC 8058
  ``List-Unsubscribe=One-Click`` from a mail client, or the button) unsubscribes at once,
  without cookie, CSRF token or sign-in: the signed personal link is the authority.
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from privacydesk.mailings import services, throttle
from privacydesk.mailings.forms import SignupForm
from privacydesk.mailings.models import MailingList

#: The version of the consent text below; a new wording gets a new version.
SIGNUP_TEXT_VERSION = "2026-12-1"


def signup_text(mailing_list: MailingList, lang: str) -> str:
    """The exact consent text the form shows (stored with each signup as proof)."""
    return _(
        "Yes, send me %(list)s by e-mail. I can unsubscribe at any time with the link in "
        "every message. Our privacy policy explains what we do with my address."
    ) % {"list": mailing_list.title(lang)}


def _client_ip(request: HttpRequest) -> str | None:
    return get_client_ip_address(request)


def _public_list() -> MailingList | None:
    return MailingList.objects.filter(slug=settings.MAILINGS_PUBLIC_LIST).first()


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    lang = get_language()
    mailing_list = _public_list()
    if mailing_list is None:
        return render(request, "mailings/unavailable.html", status=404)
    text = signup_text(mailing_list, lang)
    form = SignupForm(request.POST or None) if request.method == "POST" else SignupForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            email = form.cleaned_data["email"]
            if not throttle.allow_signup(ip=_client_ip(request), email=email):
                return render(
                    request, "mailings/signup.html",
                    {"form": form, "text": text, "list": mailing_list, "throttled": True},
                    status=429,
                )  # fmt: skip
            services.request_signup(
                mailing_list.slug,
                email,
                name=form.cleaned_data["name"],
                form_url=request.build_absolute_uri(request.path),
                text_shown=text,
                text_version=SIGNUP_TEXT_VERSION,
                ip=_client_ip(request),
                language=lang,
            )
            return redirect("mailings:signup_sent")
        status = 400
    return render(
        request,
        "mailings/signup.html",
        {"form": form, "text": text, "list": mailing_list},
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "mailings/signup_sent.html")


def _invalid(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    return render(
        request,
        "mailings/link_invalid.html",
        {"expired": expired, "signup": reverse("mailings:signup")},
        status=410 if expired else 400,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            outcome = services.confirm(slug, token, ip=_client_ip(request))
            return render(
                request,
                "mailings/confirmed.html",
                {"already": outcome.already, "list": outcome.subscription.mailing_list},
            )
        subscription = services.check_confirm_token(slug, token)
    except services.ExpiredToken:
        return _invalid(request, expired=True)
    except services.BadToken:
        return _invalid(request)
    if subscription.state == subscription.State.CONFIRMED:
        return render(
            request, "mailings/confirmed.html",
            {"already": True, "list": subscription.mailing_list},
        )  # fmt: skip
    return render(request, "mailings/confirm.html", {"list": subscription.mailing_list})


@csrf_exempt  # RFC 8058: the one-click POST carries no cookie and no token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            how = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "page"
            if request.POST.get("source") == "page":
                how = "page"
            services.unsubscribe(slug, token, how=how)
            return render(request, "mailings/unsubscribed.html")
        subscription, _ref = services.check_unsubscribe_token(slug, token)
    except services.BadToken:
        return _invalid(request)
    done = subscription is None or subscription.state == subscription.State.UNSUBSCRIBED
    return render(request, "mailings/unsubscribe.html", {"done": done})
