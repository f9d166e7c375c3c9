"""Thin views for the two sign-in steps; the work is in accounts.services."""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from privacydesk.accounts import services
from privacydesk.accounts.forms import TokenForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: username and password. Axes counts failures and locks out."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        if user.is_verified():
            return redirect(_next_url(request))
        return redirect(_with_next("admin:otp", request))
    form = AdminAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.get_user())
        return redirect(_with_next("admin:otp", request))
    return render(request, "accounts/login.html", _context(request, form=form, title=_("Sign in")))


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp(request: HttpRequest) -> HttpResponse:
    """Step 2: a code from the authenticator app (enrolment first if the user has none)."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect(_with_next("admin:login", request))
    if user.is_verified():
        return redirect(_next_url(request))
    if services.confirmed_device(user) is None:
        return redirect(_with_next("admin:otp_enrol", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Wait for a new code and try again."))
    return render(
        request, "accounts/otp.html", _context(request, form=form, title=_("Two-step sign-in"))
    )


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code, confirm with a first code."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect(_with_next("admin:login", request))
    if services.confirmed_device(user) is not None:
        return redirect(_with_next("admin:otp", request))
    device = services.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_enrolment(request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Check the time on your phone."))
    return render(
        request,
        "accounts/enrol.html",
        _context(
            request,
            form=form,
            title=_("Set up two-step sign-in"),
            qr_svg=services.enrolment_qr_svg(device),
            secret=services.enrolment_secret(device),
        ),
    )
